public import Foundation
public import Postgres
import TallyQueue

/// Creates the scheduled runs that are due, and their sync jobs.
///
/// Any number of schedulers may tick at once: the unique index on
/// `runs (tenant_id, due_at)` lets one insert each run, and jobs are
/// created only for the runs the same statement inserted.
public enum Scheduler {
    /// Creates, in one transaction, each tenant's latest due run that does
    /// not exist yet, with one sync job per row of `sync_targets`.
    /// `now`: the instant to schedule for (nil: the database's clock); tests pass their own.
    ///
    /// A tenant whose time zone PostgreSQL does not know (a row from before
    /// the CHECK, a zone dropped from the server's time zone data) fails the
    /// whole statement: the tick then finds such tenants and runs again
    /// without them, so one tenant never stops the others' runs.
    @discardableResult
    public static func tick(now: Date? = nil, on connection: Connection) async throws -> SchedulerTick {
        do {
            return try await tick(now: now, skipping: [], on: connection)
        } catch let error as PostgresError where error.sqlState == "22023" {
            let unknown = try await tenantsWithUnknownTimeZones(on: connection)
            guard !unknown.isEmpty else { throw error }
            var tick = try await tick(now: now, skipping: unknown.map(\.tenantID), on: connection)
            tick.unknownTimeZones = unknown
            return tick
        }
    }

    private static func tick(now: Date?, skipping: [Int64], on connection: Connection) async throws -> SchedulerTick {
        try await connection.withTransaction { tx in
            // The planner's estimate for the tick is always high (the view's
            // EXISTS clauses), so JIT would compile it every time: 0.5 s of
            // CPU for a tick over 10,000 tenants that creates nothing.
            try await tx.execute("SET LOCAL jit = off", name: "scheduler tick settings")
            let row = try await tx.query(tickStatement(now: now, skipping: skipping), name: "scheduler tick")[0]
            return SchedulerTick(runs: try row.decode("runs"), jobs: try row.decode("jobs"))
        }
    }

    static func tenantsWithUnknownTimeZones(on connection: Connection) async throws -> [SchedulerTick.UnknownTimeZone] {
        try await connection.query("""
            SELECT tenant_id, slug, time_zone FROM tenants
            WHERE schedule_kind IN ('daily', 'monthly') AND NOT paused AND NOT tally_is_time_zone(time_zone)
            ORDER BY tenant_id
            """, name: "tenants with unknown time zones").map { row in
            SchedulerTick.UnknownTimeZone(tenantID: try row.decode("tenant_id"), slug: try row.decode("slug"), timeZone: try row.decode("time_zone"))
        }
    }

    /// The tick as one statement, one step per CTE:
    /// 1. `pending`: per tenant with a schedule, not paused, its latest due
    ///    instant D ≤ now (`tally_latest_due`; ≤ now + `refresh_lead` for a
    ///    tenant that refreshes usage from Huntress first), if D is not before the tenant
    ///    was created and no run of the tenant is due at or after D. So after
    ///    downtime only the latest missed run is created, and a schedule
    ///    change never creates a run for a period before the latest run.
    /// 2. `targets`: the (organization, product) pairs of those tenants, read
    ///    once, so a run's `job_count` and its jobs come from the same rows.
    /// 3. `new_runs`: the runs, with their job counts; a run another scheduler
    ///    created meanwhile is skipped (ON CONFLICT) and is not returned.
    /// 4. `new_jobs`: one sync job per target of each run inserted in step 3
    ///    (`Runs.syncJobs`, through the queue's set-based insert); for a
    ///    tenant with a Huntress key, one `usage_refresh` job instead
    ///    (`Runs.refreshJobs`): its sync jobs come when the refresh ends.
    /// The statement-level trigger on `jobs` marks the tenants as having work
    /// (`queue_tenants`) and wakes the workers (NOTIFY tally_jobs).
    public static func tickStatement(now: Date?, skipping: [Int64] = []) -> SQL {
        """
        WITH due AS MATERIALIZED (
            -- A tenant that refreshes usage first has its run created `refresh_lead`
            -- early, so that its syncs can start at the due time.
            SELECT t.tenant_id, t.schedule_kind, t.created_at, k.refreshes,
                   tally_latest_due(t.schedule_kind, t.schedule_day, t.schedule_time, t.time_zone,
                                    coalesce(\(now)::timestamptz, now())
                                        + CASE WHEN k.refreshes THEN t.refresh_lead ELSE interval '0' END) AS due_at
            FROM tenants t
            CROSS JOIN LATERAL (
                SELECT EXISTS (SELECT 1 FROM tenant_secrets s
                               WHERE s.tenant_id = t.tenant_id AND s.kind = \(TenantSecrets.Kind.huntressAPIKey.rawValue)) AS refreshes
            ) k
            WHERE t.schedule_kind IN ('daily', 'monthly') AND NOT t.paused AND t.tenant_id <> ALL(\(skipping)::bigint[])
        ),
        pending AS MATERIALIZED (
            SELECT d.tenant_id, d.schedule_kind, d.due_at, d.refreshes
            FROM due d
            WHERE d.due_at >= d.created_at
              AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = d.tenant_id AND r.due_at >= d.due_at)
        ),
        targets AS MATERIALIZED (
            \(fragment: Runs.targets(tenantsIn: "SELECT tenant_id FROM pending WHERE NOT refreshes"))
        ),
        new_runs AS (
            -- A run without targets has nothing to wait for: it is finished when created.
            -- A run that refreshes usage first gets its sync jobs when the refresh ends.
            INSERT INTO runs (tenant_id, trigger, due_at, job_count, finished_at, phase)
            SELECT p.tenant_id, p.schedule_kind, p.due_at, coalesce(c.n, 0),
                   CASE WHEN c.n IS NULL AND NOT p.refreshes THEN now() END,
                   CASE WHEN p.refreshes THEN 'refreshing' ELSE 'syncing' END
            FROM pending p
            LEFT JOIN (SELECT tenant_id, count(*)::int AS n FROM targets GROUP BY tenant_id) c USING (tenant_id)
            -- One order for every scheduler, so that two inserting the same runs wait, never deadlock.
            ORDER BY p.tenant_id
            ON CONFLICT (tenant_id, due_at) WHERE due_at IS NOT NULL DO NOTHING
            RETURNING tenant_id, run_id, phase
        ),
        new_jobs AS (
            \(fragment: Runs.syncJobs(runs: "new_runs", targets: "targets", priority: JobPriority.scheduled))
        ),
        refreshing_runs AS (
            SELECT tenant_id, run_id FROM new_runs WHERE phase = 'refreshing'
        ),
        new_refreshes AS (
            \(fragment: Runs.refreshJobs(runs: "refreshing_runs", priority: JobPriority.scheduled))
        )
        SELECT (SELECT count(*) FROM new_runs)::int AS runs,
               (SELECT count(*) FROM new_jobs)::int + (SELECT count(*) FROM new_refreshes)::int AS jobs
        """
    }
}
