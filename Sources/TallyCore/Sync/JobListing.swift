public import Foundation
public import Postgres
import TallyQueue

/// `tally jobs list`: a tenant's latest jobs, with the organization and
/// product of sync jobs read from their arguments.
public enum JobListing {
    public struct Row: Codable, Sendable {
        public var jobID: Int64
        public var kind: String
        public var runID: Int64?
        public var state: String
        public var attempts: Int
        public var organizationID: Int64?
        public var product: String?
        public var why: String?
        public var updatedAt: Date
    }

    /// States a job can be in, for checking an operator's filter.
    public static let states = ["queued", "running", "succeeded", "failed", "skipped", "held", "cancelled"]

    public static func list(tenantID: Int64, state: String?, limit: Int, on connection: Connection) async throws -> [Row] {
        try await JobQueue.list(tenantID: tenantID, state: state, limit: limit, on: connection).map { listed in
            // A malformed sync job is listed too, without organization or product.
            let sync = try? listed.job.arguments(of: SyncKind.self)
            return Row(
                jobID: listed.job.jobID, kind: listed.job.kind, runID: listed.runID, state: listed.job.state,
                attempts: listed.attempts, organizationID: sync?.organizationID, product: sync?.product, why: listed.why,
                updatedAt: listed.updatedAt)
        }
    }
}
