public import Autotask
public import Logging
import NIOConcurrencyHelpers
public import Postgres

/// Counts Tally's Autotask requests per tenant and minute in PostgreSQL
/// (`autotask_request_counts`), so that every worker of the cluster sees the
/// same hourly total. Give `record` to `AutotaskConfiguration.onRequest`.
public final class RequestMeter: Sendable {
    private let pool: ConnectionPool
    private let logger: Logger
    private let tenants = NIOLockedValueBox<[String: Int64]>([:])

    public init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Requests made as this Autotask user are counted for this tenant.
    public func attribute(userName: String, to tenantID: Int64) {
        tenants.withLockedValue { $0[userName.lowercased()] = tenantID }
    }

    public func record(_ request: AutotaskRequestRecord) async {
        guard let tenantID = tenants.withLockedValue({ $0[request.userName.lowercased()] }) else { return }
        let failed = request.status.map { $0 >= 400 } ?? true
        do {
            try await pool.withConnection { connection in
                try await connection.execute("""
                    INSERT INTO autotask_request_counts AS c (tenant_id, minute, requests, errors)
                    VALUES (\(tenantID), date_trunc('minute', now()), 1, \(failed ? 1 : 0))
                    ON CONFLICT (tenant_id, minute) DO UPDATE SET requests = c.requests + 1, errors = c.errors + EXCLUDED.errors
                    """, name: "count autotask request", prepared: true)
            }
        } catch {
            logger.warning("could not count an Autotask request", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }
}
