public import Postgres
import TallyQueue

/// Runs: a scheduled period of a tenant or a Sync Now; the targets a run
/// covers and its sync jobs (defined here once for Sync Now, the scheduler's
/// tick and the dry run); a run's progress and problems.
public enum Runs {
    public struct Created: Sendable, Equatable {
        public var runID: Int64
        /// Sync jobs created; 0 while the run refreshes usage first.
        public var jobCount: Int
        /// The run refreshes usage from Huntress first; its sync jobs come after.
        public var refreshing = false
    }

    /// Sync Now: creates a run and its jobs (Sync Now priority) in one
    /// statement, for every organization and product of the tenant's sync
    /// targets, or only `organizationID` and/or `product`. A tenant with a
    /// Huntress key refreshes usage first (unless `refresh` is false): the
    /// run gets one `usage_refresh` job, and its sync jobs when that ends.
    public static func syncNow(
        tenantID: Int64, organizationID: Int64? = nil, product: String? = nil, requestedBy: String? = nil,
        refresh: Bool = true, on connection: Connection
    ) async throws -> Created {
        if refresh, try await HuntressKey.isSet(tenantID: tenantID, on: connection) {
            let row = try await connection.query("""
                WITH new_run AS (
                    INSERT INTO runs (tenant_id, trigger, organization_id, product, requested_by, job_count, phase)
                    VALUES (\(tenantID), 'sync_now', \(organizationID), \(product), \(requestedBy), 0, 'refreshing')
                    RETURNING tenant_id, run_id
                ),
                refresh AS (
                    \(fragment: refreshJobs(runs: "new_run", priority: JobPriority.syncNow))
                )
                SELECT run_id, (SELECT count(*) FROM refresh)::int AS refreshes FROM new_run
                """, name: "create refreshing sync now run")[0]
            return Created(runID: try row.decode("run_id"), jobCount: 0, refreshing: true)
        }
        let rows = try await connection.query("""
            WITH chosen AS (
                \(fragment: targets(tenantsIn: "\(tenantID)", organizationID: organizationID, product: product))
            ),
            new_run AS (
                INSERT INTO runs (tenant_id, trigger, organization_id, product, requested_by, job_count)
                VALUES (\(tenantID), 'sync_now', \(organizationID), \(product), \(requestedBy), (SELECT count(*) FROM chosen))
                RETURNING tenant_id, run_id
            ),
            new_jobs AS (
                \(fragment: syncJobs(runs: "new_run", targets: "chosen", priority: JobPriority.syncNow, inOrder: true))
            )
            SELECT run_id, (SELECT count(*) FROM new_jobs)::int AS jobs FROM new_run
            """, name: "create sync now run")
        return Created(runID: try rows[0].decode("run_id"), jobCount: try rows[0].decode("jobs"))
    }

    public struct Progress: Sendable, Equatable {
        public var jobCount: Int
        public var queued: Int
        public var running: Int
        public var succeeded: Int
        public var failed: Int
        public var skipped: Int
        public var held: Int
        public var cancelled: Int
        /// Still reading usage from Huntress; its sync jobs come after.
        public var refreshing = false
        /// The refresh failed: stale usage is skipped with this.
        public var refreshError: String? = nil

        public var done: Int { succeeded + failed + skipped + held + cancelled }
        public var isFinished: Bool { !refreshing && queued + running == 0 && done >= jobCount }
    }

    /// A job of a run that did not simply succeed, with what to do about it.
    public struct Problem: Sendable, Equatable {
        /// The sync job that ended so (`tally jobs approve TENANT JOB` for a held one).
        public var jobID: Int64
        public var organizationID: Int64
        public var product: String
        public var outcome: String
        public var message: String
    }

    /// The run's failed, held and skipped results, failures first.
    public static func problems(tenantID: Int64, runID: Int64, on connection: Connection) async throws -> [Problem] {
        try await connection.query("""
            SELECT job_id, organization_id, product, outcome, message FROM results
            WHERE tenant_id = \(tenantID) AND run_id = \(runID) AND outcome IN ('failed', 'held', 'skipped')
            ORDER BY outcome, organization_id, product
            """, name: "run problems").map {
            Problem(jobID: try $0.decode("job_id"), organizationID: try $0.decode("organization_id"), product: try $0.decode("product"),
                    outcome: try $0.decode("outcome"), message: try $0.decode("message"))
        }
    }

    /// How far a run is, from its jobs (which stay until pruned after their retention).
    public static func progress(tenantID: Int64, runID: Int64, on connection: Connection) async throws -> Progress? {
        let rows = try await connection.query("""
            SELECT r.job_count, r.phase = 'refreshing' AS refreshing, r.refresh_error,
                   count(*) FILTER (WHERE j.state = 'queued')::int AS queued,
                   count(*) FILTER (WHERE j.state = 'running')::int AS running,
                   count(*) FILTER (WHERE j.state = 'succeeded')::int AS succeeded,
                   count(*) FILTER (WHERE j.state = 'failed')::int AS failed,
                   count(*) FILTER (WHERE j.state = 'skipped')::int AS skipped,
                   count(*) FILTER (WHERE j.state = 'held')::int AS held,
                   count(*) FILTER (WHERE j.state = 'cancelled')::int AS cancelled
            FROM runs r LEFT JOIN jobs j ON j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.kind = \(SyncKind.name)
            WHERE r.tenant_id = \(tenantID) AND r.run_id = \(runID)
            GROUP BY r.job_count, r.phase, r.refresh_error
            """, name: "run progress")
        guard let row = rows.first else { return nil }
        return Progress(
            jobCount: try row.decode("job_count"), queued: try row.decode("queued"), running: try row.decode("running"),
            succeeded: try row.decode("succeeded"), failed: try row.decode("failed"), skipped: try row.decode("skipped"),
            held: try row.decode("held"), cancelled: try row.decode("cancelled"),
            refreshing: try row.decode("refreshing"), refreshError: try row.decode("refresh_error"))
    }
}

/// Which (organization, product) pairs a run syncs, defined once for Sync
/// Now, the scheduler's tick and the dry run: the rows of `sync_targets`
/// (sql/003) of some tenants, optionally one organization and/or product.
extension Runs {
    /// `tenant_id, organization_id, product` of the tenants `tenants` yields
    /// (a list or a subquery, used as `tenant_id IN (…)`).
    static func targets(tenantsIn tenants: SQL, organizationID: Int64? = nil, product: String? = nil) -> SQL {
        var statement: SQL = """
            SELECT s.tenant_id, s.organization_id, s.product FROM sync_targets s
            WHERE s.tenant_id IN (\(fragment: tenants))
            """
        if let organizationID { statement = "\(fragment: statement) AND s.organization_id = \(organizationID)" }
        if let product { statement = "\(fragment: statement) AND s.product = \(product)" }
        return statement
    }

    /// The sync jobs of new runs, one per target of the run's tenant, as a
    /// data-modifying CTE (`JobQueue.insert`): `runs` and `targets` name
    /// relations of the statement with `tenant_id, run_id` and the columns of
    /// `targets`. `inOrder`: job ids follow organization and product, so a
    /// run's jobs are claimed in that order (a Sync Now; the tick skips the sort).
    /// `untilDue`: `runs` has `due_at` too, and a job is not run before it
    /// (a scheduled run whose refresh started early).
    static func syncJobs(runs: String, targets: String, priority: Int, inOrder: Bool = false, untilDue: Bool = false) -> SQL {
        let order: SQL = inOrder ? "ORDER BY t.tenant_id, t.organization_id, t.product" : ""
        let runAt: SQL = untilDue ? ", greatest(r.due_at, now()) AS run_at" : ""
        return JobQueue.insert(SyncKind.self, arguments: [.organizationID, .product], from: """
            SELECT t.tenant_id, r.run_id, tally_sync_job_key(r.run_id, t.organization_id, t.product) AS unique_key,
                   \(unescaped: String(priority))::smallint AS priority, t.organization_id, t.product \(fragment: runAt)
            FROM \(identifier: runs) r JOIN \(identifier: targets) t ON t.tenant_id = r.tenant_id
            \(fragment: order)
            """, runAt: untilDue)
    }

    /// The refresh job of each new run of `runs` (a relation of the statement
    /// with `tenant_id, run_id`), as a data-modifying CTE.
    static func refreshJobs(runs: String, priority: Int) -> SQL {
        JobQueue.insert(UsageRefreshKind.self, arguments: [], from: """
            SELECT r.tenant_id, r.run_id, 'usage_refresh:run:' || r.run_id AS unique_key,
                   \(unescaped: String(priority))::smallint AS priority
            FROM \(identifier: runs) r
            """)
    }
}
