import Foundation

/// A job as the queue stores it, read outside a worker (operators' commands, approval).
public struct StoredJob: Sendable, Equatable {
    public var tenantID: Int64
    public var jobID: Int64
    public var kind: String
    public var state: String
    /// JSON object text.
    public var arguments: String
    /// The handler's report at the job's last end (JSON object text), if any.
    public var report: String?
    /// How it ended (a skip or hold reason), or its last error.
    public var message: String?

    /// The arguments, if the job is of `Kind`.
    public func arguments<Kind: JobKind>(of kind: Kind.Type) throws -> Kind.Arguments? {
        guard self.kind == Kind.name else { return nil }
        return try JobQueue.decode(Kind.self, arguments: arguments)
    }

    public func report<Report: Decodable>(as type: Report.Type) throws -> Report? {
        guard let report else { return nil }
        return try JSONDecoder().decode(Report.self, from: Data(report.utf8))
    }
}
