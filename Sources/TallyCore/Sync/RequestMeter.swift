public import Autotask
import Foundation
public import Logging
import NIOConcurrencyHelpers
public import Postgres

/// Counts Tally's Autotask requests per tenant and minute in PostgreSQL
/// (`autotask_request_counts`), so that every worker of the cluster sees the
/// same hourly total. Give `record` to `AutotaskConfiguration.onRequest`.
/// Counts are written at most once a second (and before each budget check
/// of this process), not once per request: a killed worker loses at most a
/// second of counts.
public final class RequestMeter: Sendable {
    private struct Pending {
        var requests: [Int64: (requests: Int, errors: Int)] = [:]
        var lastFlush = ContinuousClock.now
        var flushing = false
    }

    private let pool: ConnectionPool
    private let logger: Logger
    private let tenants = NIOLockedValueBox<[String: Int64]>([:])
    private let pending = NIOLockedValueBox(Pending())
    static let flushInterval = Duration.seconds(1)

    public init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Requests made with credentials of this `account` are counted for this tenant.
    public func attribute(account: String, to tenantID: Int64) {
        tenants.withLockedValue { $0[account] = tenantID }
    }

    public func record(_ request: AutotaskRequestRecord) async {
        TallyMetrics.request(request)
        guard let tenantID = tenants.withLockedValue({ $0[request.account] }) else { return }
        let failed = request.status.map { $0 >= 400 } ?? true
        let due = pending.withLockedValue { state -> Bool in
            let counted = state.requests[tenantID] ?? (0, 0)
            state.requests[tenantID] = (counted.requests + 1, counted.errors + (failed ? 1 : 0))
            return !state.flushing && ContinuousClock.now - state.lastFlush >= Self.flushInterval
        }
        if due { await flush() }
    }

    /// Requests of this tenant counted here and not yet written.
    public func unwritten(tenantID: Int64) -> Int {
        pending.withLockedValue { $0.requests[tenantID]?.requests ?? 0 }
    }

    /// Writes the counts not yet written when the last write is a flush
    /// interval old. Budget checks call it first: `record` flushes only when a
    /// request is made, so a process whose tenants' budgets are all spent makes
    /// none, and would otherwise keep its last counts unwritten — added to the
    /// window by `unwritten` for ever, so that the budget never came back.
    public func flushIfDue() async {
        let due = pending.withLockedValue { state in
            !state.flushing && !state.requests.isEmpty && ContinuousClock.now - state.lastFlush >= Self.flushInterval
        }
        if due { await flush() }
    }

    /// Writes the counts not yet written, in one statement.
    public func flush() async {
        let taken = pending.withLockedValue { state -> [Int64: (requests: Int, errors: Int)]? in
            guard !state.flushing, !state.requests.isEmpty else { return nil }
            state.flushing = true
            state.lastFlush = ContinuousClock.now
            defer { state.requests = [:] }
            return state.requests
        }
        guard let taken else { return }
        let tenantIDs = Array(taken.keys)
        do {
            try await pool.withConnection { connection in
                try await connection.execute("""
                    INSERT INTO autotask_request_counts AS c (tenant_id, minute, requests, errors)
                    SELECT tenant_id, date_trunc('minute', now()), requests, errors
                    FROM unnest(\(tenantIDs)::bigint[], \(tenantIDs.map { taken[$0]!.requests })::int[],
                                \(tenantIDs.map { taken[$0]!.errors })::int[]) AS n (tenant_id, requests, errors)
                    ORDER BY tenant_id
                    ON CONFLICT (tenant_id, minute) DO UPDATE
                    SET requests = c.requests + EXCLUDED.requests, errors = c.errors + EXCLUDED.errors
                    """, name: "count autotask requests", prepared: true)
            }
        } catch {
            logger.warning("could not count Autotask requests; they are counted on the next flush", metadata: ["error": "\(error)"])
            pending.withLockedValue { state in
                for (tenant, counted) in taken {
                    let now = state.requests[tenant] ?? (0, 0)
                    state.requests[tenant] = (now.requests + counted.requests, now.errors + counted.errors)
                }
            }
        }
        pending.withLockedValue { $0.flushing = false }
    }
}
