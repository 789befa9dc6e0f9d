public import Foundation

/// A job to enqueue.
public struct NewJob: Sendable {
    public var tenantID: Int64
    public var kind: String
    /// At most one job per tenant has this key; enqueueing it again is a no-op.
    public var uniqueKey: String
    /// JSON object text.
    public var arguments: String
    public var priority: Int
    /// nil: now.
    public var runAt: Date?
    public var maxAttempts: Int
    public var runID: Int64?

    public init(
        tenantID: Int64, kind: String, uniqueKey: String, arguments: String = "{}", priority: Int = JobPriority.scheduled,
        runAt: Date? = nil, maxAttempts: Int = 8, runID: Int64? = nil
    ) {
        self.tenantID = tenantID
        self.kind = kind
        self.uniqueKey = uniqueKey
        self.arguments = arguments
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.runID = runID
    }

    /// A job of `Kind` with typed arguments.
    public static func of<Kind: JobKind>(
        _ kind: Kind.Type, tenantID: Int64, uniqueKey: String, arguments: Kind.Arguments,
        priority: Int = JobPriority.scheduled, runAt: Date? = nil, maxAttempts: Int = 8, runID: Int64? = nil
    ) throws -> NewJob {
        NewJob(tenantID: tenantID, kind: Kind.name, uniqueKey: uniqueKey, arguments: try JobQueue.encode(arguments), priority: priority,
                      runAt: runAt, maxAttempts: maxAttempts, runID: runID)
    }
}

public enum EnqueueOutcome: Sendable, Equatable {
    case enqueued(jobID: Int64)
    /// A job with the same tenant and unique key exists; nothing was written.
    case alreadyExists(jobID: Int64, state: String)
}
