public import Foundation
public import Postgres

/// A tenant's hourly budget of Autotask requests, over all workers: the sum
/// of the last 60 minutes of `autotask_request_counts`.
public enum RequestBudget {
    public struct Usage: Sendable {
        public var used: Int
        /// When the oldest counted minute leaves the window.
        public var freesAt: Date?
    }

    public static func usage(tenantID: Int64, on connection: Connection) async throws -> Usage {
        let row = try await connection.query("""
            SELECT coalesce(sum(requests), 0)::int AS used, min(minute) + interval '61 minutes' AS frees_at
            FROM autotask_request_counts WHERE tenant_id = \(tenantID) AND minute > now() - interval '1 hour'
            """, name: "autotask budget used", prepared: true)[0]
        return Usage(used: try row.decode("used"), freesAt: try row.decode("frees_at"))
    }

    /// Throws a deferral when `planned` more requests would go past `budget`.
    public static func check(tenantID: Int64, budget: Int, planned: Int, on connection: Connection) async throws {
        let usage = try await usage(tenantID: tenantID, on: connection)
        guard usage.used + planned > budget else { return }
        let until = usage.freesAt ?? Date().addingTimeInterval(60)
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
