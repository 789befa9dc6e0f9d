public import Postgres
import TallyQueue

/// Reads the `dashboard` views (sql/005_dashboard.sql) in the query shapes
/// bench/README.md measures: per tenant by `tenant_id`, or cluster-wide.
/// They read the views only, so a session as `tally_dashboard` can run them.
public enum Dashboard {
    /// Session settings for dashboard reads: JIT compiles these short
    /// queries for longer than they run (tens of ms for the tenants view).
    public static func prepareSession(on connection: Connection) async throws {
        try await connection.execute("SET jit = off", name: "dashboard session settings")
    }

    /// The tenant's id, looked up through the views (so `tally_dashboard` alone may run `tally status`).
    public static func tenantID(slug: String, on connection: Connection) async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT tenant_id FROM dashboard.tenants WHERE tenant_slug = \(slug)", name: "dashboard find tenant")
        guard let row = rows.first else { throw TenantNotFound(slug: slug) }
        return try row.decode("tenant_id")
    }

    /// `WHERE tenant_id = …` for one tenant, nothing for all: two statement
    /// texts rather than `$1 IS NULL OR tenant_id = $1`, which hides the tenant
    /// from a generic plan's index (and from a tenant-distributed planner).
    private static func oneTenant(_ tenantID: Int64?) -> SQL {
        tenantID.map { "WHERE tenant_id = \($0)" } ?? ""
    }

    public static func tenants(tenantID: Int64? = nil, on connection: Connection) async throws -> [DashboardTenant] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, tenant_name, time_zone, schedule, paused, next_run_at, next_run_local,
                   last_run_id, last_run_trigger, last_run_at, last_run_jobs, last_run_state,
                   requests_last_hour, hourly_request_budget, budget_used_percent
            FROM dashboard.tenants
            \(fragment: oneTenant(tenantID))
            ORDER BY tenant_slug
            """, name: "dashboard tenants").map(DashboardTenant.init)
    }

    public static func queue(tenantID: Int64? = nil, on connection: Connection) async throws -> [DashboardQueueLine] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, tenant_name, queued, ready, deferred, running, held, concurrency_cap,
                   extract(epoch FROM oldest_queued_age)::float8 AS oldest_queued_seconds, next_run_at, deferred_reason
            FROM dashboard.queue
            \(fragment: oneTenant(tenantID))
            ORDER BY queued + running + held DESC, tenant_slug
            """, name: "dashboard queue").map(DashboardQueueLine.init)
    }

    public static func workers(on connection: Connection) async throws -> [DashboardWorker] {
        try await connection.query("""
            SELECT worker_id, host, pid, version, array_to_string(kinds, ',') AS kinds, concurrency, started_at,
                   heartbeat_at, extract(epoch FROM heartbeat_age)::float8 AS heartbeat_age_seconds,
                   stopping, running_jobs, slots_held, stale
            FROM dashboard.workers
            ORDER BY stale, host, pid
            """, name: "dashboard workers").map(DashboardWorker.init)
    }

    /// One tenant's failures of the last 24 hours, most results first.
    public static func failures(tenantID: Int64, on connection: Connection) async throws -> [DashboardFailure] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, tenant_name, outcome, reason_code, results, first_at, last_at, sample_message, fix
            FROM dashboard.failures
            WHERE tenant_id = \(tenantID)
            ORDER BY results DESC, outcome, reason_code
            """, name: "dashboard failures of a tenant").map(DashboardFailure.init)
    }

    /// The cluster's failures of the last 24 hours by outcome and reason. The
    /// sample message is read for one tenant per reason only: reading it for
    /// every tenant's group would cost a lookup per group.
    public static func failuresByReason(on connection: Connection) async throws -> [DashboardFailureReason] {
        try await connection.query("""
            SELECT g.outcome, g.reason_code, g.results, g.tenants, tally_reason_fix(g.reason_code) AS fix,
                   (SELECT f.sample_message FROM dashboard.failures f
                    WHERE f.tenant_id = g.sample_tenant AND f.outcome = g.outcome AND f.reason_code = g.reason_code) AS sample_message
            FROM (SELECT outcome, reason_code, sum(results)::int AS results, count(*)::int AS tenants,
                         max(tenant_id) AS sample_tenant
                  FROM dashboard.failures GROUP BY outcome, reason_code) AS g
            ORDER BY g.results DESC, g.outcome, g.reason_code
            """, name: "dashboard failures by reason").map(DashboardFailureReason.init)
    }

    public static func syncStatus(tenantID: Int64, on connection: Connection) async throws -> [DashboardSyncStatus] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, organization_id, organization_name, product, finished_at, outcome, reason_code,
                   units_before, target_units, units_after, change, adjustment_id, contract_id, service_id, message, run_id, job_id,
                   usage_source, usage_observed_at
            FROM dashboard.sync_status
            WHERE tenant_id = \(tenantID)
            ORDER BY organization_name, organization_id, product
            """, name: "dashboard sync status").map(DashboardSyncStatus.init)
    }

    /// A tenant's latest runs, newest first.
    public static func runs(tenantID: Int64, limit: Int, on connection: Connection) async throws -> [DashboardRun] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, run_id, trigger, due_at, created_at, job_count,
                   succeeded, failed, skipped, held, cancelled, queued, running, state, finished_at,
                   extract(epoch FROM duration)::float8 AS duration_seconds
            FROM dashboard.runs
            WHERE tenant_id = \(tenantID)
            ORDER BY created_at DESC, run_id DESC
            LIMIT \(limit)
            """, name: "dashboard runs of a tenant").map(DashboardRun.init)
    }

    /// The last 60 minutes, oldest first.
    public static func throughput(on connection: Connection) async throws -> [DashboardMinute] {
        try await connection.query("""
            SELECT minute, finished, succeeded, failed, p50_ms, p95_ms, p99_ms, autotask_requests, autotask_errors
            FROM dashboard.throughput ORDER BY minute
            """, name: "dashboard throughput").map(DashboardMinute.init)
    }

    public static func unmapped(tenantID: Int64, on connection: Connection) async throws -> [DashboardUnmapped] {
        try await connection.query("""
            SELECT tenant_id, tenant_slug, organization_id, organization_name, company_id, missing, usage, fix
            FROM dashboard.unmapped
            WHERE tenant_id = \(tenantID)
            ORDER BY organization_name, organization_id
            """, name: "dashboard unmapped organizations").map(DashboardUnmapped.init)
    }
}
