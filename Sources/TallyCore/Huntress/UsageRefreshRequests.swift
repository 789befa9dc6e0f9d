import Foundation
public import Postgres
import TallyQueue

/// `tally usage refresh`: asks the workers for a `usage_refresh` job now, and
/// tells how it went.
public enum UsageRefreshRequests {
    public struct Status: Sendable, Equatable {
        public var state: String
        public var message: String?
        public var organizations: Int?
        public var added: Int?
        public var renamed: Int?
        public var removed: Int?
        public var usageWritten: Int?
        public var detailReads: Int?

        public var isFinished: Bool { !["queued", "running"].contains(state) }
    }

    /// Enqueues a refresh at Sync Now priority; answers its job id.
    public static func request(tenantID: Int64, on connection: Connection) async throws -> Int64 {
        let job = try NewJob.of(
            UsageRefreshKind.self, tenantID: tenantID, uniqueKey: "usage_refresh:\(UUID().uuidString.lowercased())",
            arguments: UsageRefreshKind.Arguments(), priority: JobPriority.syncNow, maxAttempts: 5)
        switch try await JobQueue.enqueue(job, on: connection) {
        case .enqueued(let jobID), .alreadyExists(let jobID, _): return jobID
        }
    }

    public static func status(tenantID: Int64, jobID: Int64, on connection: Connection) async throws -> Status? {
        guard let job = try await JobQueue.job(tenantID: tenantID, jobID: jobID, on: connection) else { return nil }
        let report = try? job.report(as: UsageRefreshKind.Report.self)
        return Status(
            state: job.state, message: job.message, organizations: report?.counts.organizations, added: report?.counts.added,
            renamed: report?.counts.renamed, removed: report?.counts.removed, usageWritten: report?.counts.usageWritten,
            detailReads: report?.detailReads)
    }
}
