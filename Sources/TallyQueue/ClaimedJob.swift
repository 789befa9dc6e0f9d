/// A job as a worker holds it.
public struct ClaimedJob: Sendable, Hashable {
    public let tenantID: Int64
    public let jobID: Int64
    public let kind: String
    public let uniqueKey: String
    public let runID: Int64?
    public let priority: Int
    /// Attempts so far, counting the current one once it has started.
    public let attempts: Int
    public let maxAttempts: Int
    /// The JSON arguments, as stored.
    public let arguments: String
    public let slot: Int

    public init(
        tenantID: Int64, jobID: Int64, kind: String, uniqueKey: String, runID: Int64?, priority: Int, attempts: Int,
        maxAttempts: Int, arguments: String, slot: Int
    ) {
        self.tenantID = tenantID
        self.jobID = jobID
        self.kind = kind
        self.uniqueKey = uniqueKey
        self.runID = runID
        self.priority = priority
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.arguments = arguments
        self.slot = slot
    }

    public static func == (lhs: ClaimedJob, rhs: ClaimedJob) -> Bool {
        lhs.tenantID == rhs.tenantID && lhs.jobID == rhs.jobID
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tenantID)
        hasher.combine(jobID)
    }
}

/// Job priorities: a higher number is claimed first.
public enum JobPriority {
    public static let scheduled = 0
    public static let syncNow = 10
}
