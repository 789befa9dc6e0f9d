public import Foundation
public import Postgres
import TallyQueue

/// A tenant's hourly budget of Autotask requests, over all workers: the sum
/// of the last 60 minutes of `autotask_request_counts`, plus what this
/// process counted and has not written yet.
public enum RequestBudget {
    public struct Usage: Sendable {
        public var used: Int
        /// When the oldest counted minute leaves the window.
        public var freesAt: Date?
    }

    /// The columns `used` and `frees_at` of a tenant's window, for use inside other statements.
    static func usageColumns(tenantID: Int64) -> SQL {
        """
        (SELECT coalesce(sum(requests), 0)::int FROM autotask_request_counts
         WHERE tenant_id = \(tenantID) AND minute > now() - interval '1 hour') AS used,
        (SELECT min(minute) + interval '61 minutes' FROM autotask_request_counts
         WHERE tenant_id = \(tenantID) AND minute > now() - interval '1 hour') AS frees_at
        """
    }

    public static func usage(tenantID: Int64, on connection: Connection) async throws -> Usage {
        let row = try await connection.query("SELECT \(fragment: usageColumns(tenantID: tenantID))", name: "autotask budget used", prepared: true)[0]
        return Usage(used: try row.decode("used"), freesAt: try row.decode("frees_at"))
    }

    /// Throws a deferral when `planned` more requests would go past `budget`.
    public static func check(
        tenantID: Int64, budget: Int, planned: Int, meter: RequestMeter, on connection: Connection
    ) async throws {
        await meter.flushIfDue()
        var usage = try await usage(tenantID: tenantID, on: connection)
        usage.used += meter.unwritten(tenantID: tenantID)
        try enforce(usage, budget: budget, planned: planned)
    }

    static func enforce(_ usage: Usage, budget: Int, planned: Int) throws {
        guard usage.used + planned > budget else { return }
        let until = usage.freesAt ?? Date().addingTimeInterval(60)
        TallyMetrics.budgetDeferral()
        throw JobFailure.deferred(
            until: until,
            "the tenant's Autotask request budget is spent (\(usage.used) of \(budget) requests in the past hour); the job waits until \(until.formatted(.iso8601)); raise the tenant's hourly request budget if its Autotask allowance has room")
    }

    /// Deletes counts older than a day (the dashboard shows at most that).
    public static func prune(on connection: Connection) async throws {
        try await connection.execute(
            "DELETE FROM autotask_request_counts WHERE minute < now() - interval '1 day'", name: "prune autotask request counts")
    }
}
