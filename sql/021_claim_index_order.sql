-- A claim reads its batch from jobs_queued_by_tenant in that index's order
-- (issue 19), whatever PostgreSQL's statistics say.
--
-- Both partial indexes of queued jobs had the same predicate, so the claim's
-- batch ("this tenant's queued jobs due now, best priority first") could be
-- read from either. With the statistics of a jobs table analyzed while it
-- was nearly empty (a new database, or the hours before a daily tick queues
-- a million jobs) the planner estimated one row and chose the narrower
-- jobs_queued_run_at, then sorted what it read: the tenant's whole backlog,
-- on every claim (2,500 rows and 2.8 ms for a batch of 10 in a fresh
-- database; the rest-of-queue probe sorted them again). jobs_queued_run_at
-- now also requires isfinite(run_at), which only the queries that want it
-- say (the claim's share count and next-ready time, dashboard.queue), so the
-- batch can come from jobs_queued_by_tenant alone, already in order. No job
-- is due at ±infinity (the check), so the index still holds every queued job.
ALTER TABLE jobs ADD CONSTRAINT jobs_run_at_finite CHECK (isfinite(run_at));
DROP INDEX jobs_queued_run_at;
CREATE INDEX jobs_queued_run_at ON jobs (tenant_id, run_at) WHERE state = 'queued' AND isfinite(run_at);

-- dashboard.queue as in 008, its three probes of jobs_queued_run_at saying isfinite(run_at).
CREATE OR REPLACE VIEW dashboard.queue AS
SELECT s.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       s.queued, s.queued - coalesce(later.jobs, 0) AS ready, s.deferred, s.running, s.held, t.concurrency_cap,
       date_trunc('second', now() - CASE WHEN first.run_at <= now() THEN first.run_at END) AS oldest_queued_age,
       next.run_at AS next_run_at,
       CASE WHEN s.deferred > 0 THEN
           (SELECT j.deferred_reason FROM jobs j
            WHERE j.tenant_id = s.tenant_id AND j.state = 'queued' AND j.deferred_reason IS NOT NULL LIMIT 1) END AS deferred_reason
FROM (
    SELECT tenant_id, sum(queued)::int AS queued, sum(deferred)::int AS deferred,
           sum(running)::int AS running, sum(held)::int AS held
    FROM (
        SELECT tenant_id, queued, deferred, 0 AS running, 0 AS held FROM queued_job_counts WHERE queued > 0
        UNION ALL
        SELECT tenant_id, 0, 0, count(*), 0 FROM jobs WHERE state = 'running' GROUP BY tenant_id
        UNION ALL
        SELECT tenant_id, 0, 0, 0, count(*) FROM jobs WHERE state = 'held' GROUP BY tenant_id) AS parts
    GROUP BY tenant_id) AS s
JOIN tenants t ON t.tenant_id = s.tenant_id
LEFT JOIN LATERAL (
    SELECT j.run_at FROM jobs j
    WHERE s.queued > 0 AND j.tenant_id = s.tenant_id AND j.state = 'queued' AND isfinite(j.run_at)
    ORDER BY j.run_at LIMIT 1) AS first ON true
LEFT JOIN LATERAL (
    SELECT j.run_at FROM jobs j
    WHERE first.run_at IS NOT NULL AND j.tenant_id = s.tenant_id AND j.state = 'queued' AND isfinite(j.run_at) AND j.run_at > now()
    ORDER BY j.run_at LIMIT 1) AS next ON true
LEFT JOIN LATERAL (
    SELECT count(*)::int AS jobs FROM jobs j
    WHERE next.run_at IS NOT NULL AND j.tenant_id = s.tenant_id AND j.state = 'queued' AND isfinite(j.run_at) AND j.run_at > now()) AS later ON true;
