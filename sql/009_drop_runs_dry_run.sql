-- runs.dry_run was never set: `tally sync --dry-run` plans in memory and
-- writes no run. The column, its part of the Sync Now check and the
-- dashboard's column go; the view is otherwise as in 005.

DROP VIEW dashboard.runs;

ALTER TABLE runs DROP COLUMN dry_run;
ALTER TABLE runs ADD CHECK (trigger = 'sync_now' OR (organization_id IS NULL AND product IS NULL));

-- Each run: its jobs by outcome (from results, which outlive pruned jobs),
-- those still queued or running, its state, and how long it took or has
-- taken so far. Shapes: WHERE tenant_id = X ORDER BY created_at DESC (LIMIT n);
-- cluster-wide ORDER BY created_at DESC LIMIT n.
CREATE VIEW dashboard.runs AS
SELECT r.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       r.run_id, r.trigger, r.due_at, r.created_at, r.organization_id, r.product, r.requested_by,
       r.job_count, done.succeeded, done.failed, done.skipped, done.held, done.cancelled,
       active.queued, active.running,
       CASE WHEN active.queued + active.running > 0 THEN 'running'
            WHEN done.failed > 0 THEN 'failed'
            WHEN done.held > 0 THEN 'held'
            WHEN done.cancelled > 0 THEN 'cancelled'
            -- Jobs that ended without a result (malformed, or their organization removed).
            WHEN done.succeeded + done.skipped < r.job_count THEN 'incomplete'
            ELSE 'succeeded' END AS state,
       CASE WHEN active.queued + active.running = 0 THEN coalesce(r.finished_at, done.last_finished_at, r.created_at) END AS finished_at,
       date_trunc('second', CASE WHEN active.queued + active.running = 0
                                 THEN coalesce(r.finished_at, done.last_finished_at, r.created_at)
                                 ELSE now() END - r.created_at) AS duration
FROM runs r
JOIN tenants t ON t.tenant_id = r.tenant_id
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE x.outcome = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE x.outcome = 'failed')::int AS failed,
           count(*) FILTER (WHERE x.outcome = 'skipped')::int AS skipped,
           count(*) FILTER (WHERE x.outcome = 'held')::int AS held,
           count(*) FILTER (WHERE x.outcome = 'cancelled')::int AS cancelled,
           max(x.finished_at) AS last_finished_at
    FROM results x WHERE x.tenant_id = r.tenant_id AND x.run_id = r.run_id) AS done
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE j.state = 'queued')::int AS queued,
           count(*) FILTER (WHERE j.state = 'running')::int AS running
    FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.state IN ('queued', 'running')) AS active;

GRANT SELECT ON dashboard.runs TO tally_dashboard;
