import Foundation
import Postgres

/// The scheduler's tick statement as it was before jobs went through the
/// queue's typed, set-based insert (commit 5611512): targets and job
/// arguments written inline. The benchmark runs it beside `Scheduler.tick`
/// in the same session, as the baseline of issue 22 ("as fast as today's statement").
enum SchedulerBaseline {
    static func tick(on connection: Connection) async throws -> (runs: Int, jobs: Int) {
        try await connection.withTransaction { tx in
            try await tx.execute("SET LOCAL jit = off", name: "baseline tick settings")
            let row = try await tx.query(statement, name: "baseline tick")[0]
            return (try row.decode("runs"), try row.decode("jobs"))
        }
    }

    static let statement: SQL = """
        WITH due AS MATERIALIZED (
            SELECT t.tenant_id, t.schedule_kind, t.created_at,
                   tally_latest_due(t.schedule_kind, t.schedule_day, t.schedule_time, t.time_zone, now()) AS due_at
            FROM tenants t
            WHERE t.schedule_kind IN ('daily', 'monthly') AND NOT t.paused
        ),
        pending AS MATERIALIZED (
            SELECT d.tenant_id, d.schedule_kind, d.due_at
            FROM due d
            WHERE d.due_at >= d.created_at
              AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = d.tenant_id AND r.due_at >= d.due_at)
        ),
        targets AS MATERIALIZED (
            SELECT s.tenant_id, s.organization_id, s.product
            FROM sync_targets s
            WHERE s.tenant_id IN (SELECT tenant_id FROM pending)
        ),
        new_runs AS (
            INSERT INTO runs (tenant_id, trigger, due_at, job_count, finished_at)
            SELECT p.tenant_id, p.schedule_kind, p.due_at, coalesce(c.n, 0), CASE WHEN c.n IS NULL THEN now() END
            FROM pending p
            LEFT JOIN (SELECT tenant_id, count(*)::int AS n FROM targets GROUP BY tenant_id) c USING (tenant_id)
            ORDER BY p.tenant_id
            ON CONFLICT (tenant_id, due_at) WHERE due_at IS NOT NULL DO NOTHING
            RETURNING tenant_id, run_id
        ),
        new_jobs AS (
            INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, run_id)
            SELECT t.tenant_id, 'sync', tally_sync_job_key(r.run_id, t.organization_id, t.product),
                   jsonb_build_object('organization_id', t.organization_id, 'product', t.product),
                   0, r.run_id
            FROM new_runs r
            JOIN targets t USING (tenant_id)
            ON CONFLICT (tenant_id, unique_key) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM new_runs)::int AS runs, (SELECT count(*) FROM new_jobs)::int AS jobs
        """
}
