public import Postgres
import TallyQueue

/// What `tally status` shows for the whole cluster.
public struct ClusterStatus: Codable, Sendable {
    public var tenants: [DashboardTenant]
    public var queue: [DashboardQueueLine]
    public var workers: [DashboardWorker]
    /// The last 24 hours' failures, held and skipped results, by outcome and reason.
    public var failures: [DashboardFailureReason]
    /// The last 60 minutes, a row per minute.
    public var throughput: [DashboardMinute]

    public static func load(on connection: Connection) async throws -> ClusterStatus {
        ClusterStatus(
            tenants: try await Dashboard.tenants(on: connection),
            queue: try await Dashboard.queue(on: connection),
            workers: try await Dashboard.workers(on: connection),
            failures: try await Dashboard.failuresByReason(on: connection),
            throughput: try await Dashboard.throughput(on: connection))
    }
}

/// What `tally status TENANT` shows.
public struct TenantStatus: Codable, Sendable {
    public var tenant: DashboardTenant
    public var syncStatus: [DashboardSyncStatus]
    /// The latest runs, newest first.
    public var runs: [DashboardRun]
    /// Nil when nothing is queued, running or held.
    public var queue: DashboardQueueLine?
    public var failures: [DashboardFailure]
    public var unmapped: [DashboardUnmapped]

    /// Throws `TenantNotFound` for an unknown slug.
    public static func load(slug: String, runs runCount: Int, on connection: Connection) async throws -> TenantStatus {
        let tenantID = try await Dashboard.tenantID(slug: slug, on: connection)
        // Removed since the lookup.
        guard let tenant = try await Dashboard.tenants(tenantID: tenantID, on: connection).first else { throw TenantNotFound(slug: slug) }
        return TenantStatus(
            tenant: tenant,
            syncStatus: try await Dashboard.syncStatus(tenantID: tenantID, on: connection),
            runs: try await Dashboard.runs(tenantID: tenantID, limit: runCount, on: connection),
            queue: try await Dashboard.queue(tenantID: tenantID, on: connection).first,
            failures: try await Dashboard.failures(tenantID: tenantID, on: connection),
            unmapped: try await Dashboard.unmapped(tenantID: tenantID, on: connection))
    }
}
