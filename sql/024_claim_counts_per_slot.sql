-- Claims count their batches in rows of their own slot (issue 19).
--
-- A claim took its batch out of its run's row of queued_job_counts (sql/008),
-- so concurrent claims of one tenant (its other slots) waited for each other
-- on that row until they committed, and the one that waited re-ran part of
-- its plan on the row's new version: about 6 µs of PostgreSQL's CPU per job
-- in the queue benchmark (bench/README.md). The table now has a row per
-- tenant, run and slot: slot 0 is the triggers' (jobs queued, requeued,
-- deleted), slot N the claims' of that slot, whose count is negative (what
-- they took). Only the claim holding slot N writes its rows, so no two claims
-- share one. A run's queued jobs are the sum of its rows; maintenance folds
-- the slots' rows into slot 0 once a minute, before it deletes rows at zero.
-- Slot rows are never positive, so a slot 0 row at zero means none queued.
ALTER TABLE queued_job_counts ADD COLUMN slot integer NOT NULL DEFAULT 0 CHECK (slot >= 0);
ALTER TABLE queued_job_counts DROP CONSTRAINT queued_job_counts_pkey;
ALTER TABLE queued_job_counts ADD PRIMARY KEY (tenant_id, run_id, slot);

CREATE OR REPLACE FUNCTION tally_count_queued_jobs() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queued_job_counts AS c (tenant_id, run_id, slot, queued, deferred)
        SELECT tenant_id, coalesce(run_id, 0), 0, count(*), count(*) FILTER (WHERE deferred_reason IS NOT NULL)
        FROM added_jobs WHERE state = 'queued'
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (tenant_id, run_id, slot) DO UPDATE SET
            queued = c.queued + excluded.queued, deferred = c.deferred + excluded.deferred;
    ELSIF TG_OP = 'DELETE' THEN
        -- An update, never an insert: when a tenant is deleted its jobs go
        -- by cascade, and its counts may be gone already.
        UPDATE queued_job_counts c SET queued = c.queued - d.queued, deferred = c.deferred - d.deferred
        FROM (SELECT tenant_id, coalesce(run_id, 0) AS run_id, count(*)::int AS queued,
                     count(*) FILTER (WHERE deferred_reason IS NOT NULL)::int AS deferred
              FROM removed_jobs WHERE state = 'queued' GROUP BY 1, 2 ORDER BY 1, 2) AS d
        WHERE c.tenant_id = d.tenant_id AND c.run_id = d.run_id AND c.slot = 0;
    ELSE
        DELETE FROM queued_job_counts;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION tally_count_requeued_job() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF OLD.state = 'queued' THEN
        UPDATE queued_job_counts
        SET queued = queued - 1, deferred = deferred - (OLD.deferred_reason IS NOT NULL)::int
        WHERE tenant_id = OLD.tenant_id AND run_id = coalesce(OLD.run_id, 0) AND slot = 0;
    END IF;
    IF NEW.state = 'queued' THEN
        INSERT INTO queued_job_counts AS c (tenant_id, run_id, slot, queued, deferred)
        VALUES (NEW.tenant_id, coalesce(NEW.run_id, 0), 0, 1, (NEW.deferred_reason IS NOT NULL)::int)
        ON CONFLICT (tenant_id, run_id, slot) DO UPDATE SET queued = c.queued + 1, deferred = c.deferred + excluded.deferred;
    END IF;
    RETURN NULL;
END
$$;

-- A run's counts are the sum of its rows.
CREATE OR REPLACE FUNCTION tally_queued_count_mismatches()
RETURNS TABLE (tenant_id bigint, run_id bigint, counted_queued integer, counted_deferred integer, queued integer, deferred integer)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(c.tenant_id, a.tenant_id), coalesce(c.run_id, a.run_id), c.queued, c.deferred, a.queued, a.deferred
    FROM (SELECT tenant_id, run_id, sum(queued)::int AS queued, sum(deferred)::int AS deferred FROM queued_job_counts
          GROUP BY 1, 2 HAVING sum(queued) <> 0 OR sum(deferred) <> 0) AS c
    FULL JOIN tally_queued_jobs_now() AS a ON a.tenant_id = c.tenant_id AND a.run_id = c.run_id
    WHERE c.queued IS DISTINCT FROM a.queued OR c.deferred IS DISTINCT FROM a.deferred
    ORDER BY 1, 2
$$;

-- Puts each wrong run right by adding the difference to its slot 0 row,
-- which keeps the sum right whatever folding runs meanwhile.
CREATE OR REPLACE FUNCTION tally_recount_queued_jobs() RETURNS integer LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    wrong integer;
BEGIN
    LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO queued_job_counts AS c (tenant_id, run_id, slot, queued, deferred)
    SELECT m.tenant_id, m.run_id, 0, coalesce(m.queued, 0) - coalesce(m.counted_queued, 0),
           coalesce(m.deferred, 0) - coalesce(m.counted_deferred, 0)
    FROM tally_queued_count_mismatches() AS m
    ON CONFLICT (tenant_id, run_id, slot) DO UPDATE SET queued = c.queued + excluded.queued, deferred = c.deferred + excluded.deferred;
    GET DIAGNOSTICS wrong = ROW_COUNT;
    RETURN wrong;
END
$$;

-- Folds the claims' rows (slot > 0) into their runs' slot 0 rows; answers
-- how many rows it folded. Maintenance calls it. It waits for no lock: a
-- run's row that a requeue holds, and a slot's row that a claim holds, are
-- left for the next fold. (A fold that waited for a run's row while holding
-- slots' rows could close a cycle: a requeue's finish holds that row and
-- waits for its tenant's queue_tenants row, which a claim holds while it
-- waits for its slot's row.)
CREATE FUNCTION tally_fold_claimed_counts() RETURNS integer LANGUAGE sql AS $$
    WITH runs AS (
        SELECT z.tenant_id, z.run_id FROM queued_job_counts z
        WHERE z.slot = 0
          AND EXISTS (SELECT 1 FROM queued_job_counts c WHERE c.tenant_id = z.tenant_id AND c.run_id = z.run_id AND c.slot > 0)
        FOR UPDATE SKIP LOCKED
    ),
    moved AS (
        DELETE FROM queued_job_counts c
        USING (SELECT s.tenant_id, s.run_id, s.slot FROM queued_job_counts s
               JOIN runs r ON r.tenant_id = s.tenant_id AND r.run_id = s.run_id
               WHERE s.slot > 0
               FOR UPDATE OF s SKIP LOCKED) AS m
        WHERE c.tenant_id = m.tenant_id AND c.run_id = m.run_id AND c.slot = m.slot
        RETURNING c.tenant_id, c.run_id, c.queued, c.deferred
    ),
    folded AS (
        UPDATE queued_job_counts z SET queued = z.queued + m.queued, deferred = z.deferred + m.deferred
        FROM (SELECT tenant_id, run_id, sum(queued)::int AS queued, sum(deferred)::int AS deferred FROM moved GROUP BY 1, 2) AS m
        WHERE z.tenant_id = m.tenant_id AND z.run_id = m.run_id AND z.slot = 0
    )
    SELECT count(*)::int FROM moved
$$;

-- dashboard.queue as in 021, a tenant's queued jobs summed over its rows.
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
        SELECT tenant_id, sum(queued)::int AS queued, sum(deferred)::int AS deferred, 0 AS running, 0 AS held FROM queued_job_counts
        GROUP BY tenant_id HAVING sum(queued) > 0
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

-- dashboard.tenants as in 008, the last run's queued jobs summed over its rows.
CREATE OR REPLACE VIEW dashboard.tenants AS
SELECT t.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, t.time_zone,
       CASE t.schedule_kind
           WHEN 'daily' THEN 'daily at ' || left(t.schedule_time::text, 5)
           WHEN 'monthly' THEN 'monthly on day ' || t.schedule_day || ' at ' || left(t.schedule_time::text, 5)
           ELSE 'manual' END AS schedule,
       t.paused, n.next_run_at,
       to_char(n.next_run_at AT TIME ZONE t.time_zone, 'YYYY-MM-DD HH24:MI') AS next_run_local,
       l.run_id AS last_run_id, l.trigger AS last_run_trigger, l.created_at AS last_run_at, l.job_count AS last_run_jobs,
       CASE WHEN l.run_id IS NULL THEN NULL
            WHEN a.run_id IS NOT NULL OR c.queued > 0 THEN 'running'
            WHEN (SELECT true FROM results x WHERE x.tenant_id = l.tenant_id AND x.run_id = l.run_id
                  AND x.outcome = 'failed' LIMIT 1) THEN 'failed'
            -- 'held' sorts after 'cancelled': held wins.
            ELSE coalesce((SELECT x.outcome FROM results x WHERE x.tenant_id = l.tenant_id AND x.run_id = l.run_id
                           AND x.outcome IN ('held', 'cancelled') ORDER BY x.outcome DESC LIMIT 1), 'succeeded')
       END AS last_run_state,
       coalesce(b.requests, 0) AS requests_last_hour, t.hourly_request_budget,
       round(100.0 * coalesce(b.requests, 0) / t.hourly_request_budget, 1)::float8 AS budget_used_percent
FROM tenants t
-- OFFSET 0 keeps the next due instant computed once per row (it is used twice).
CROSS JOIN LATERAL (
    SELECT CASE WHEN NOT t.paused THEN tally_next_due(t.schedule_kind, t.schedule_day, t.schedule_time, t.time_zone, now()) END
        AS next_run_at
    OFFSET 0) AS n
LEFT JOIN LATERAL (
    SELECT r.tenant_id, r.run_id, r.trigger, r.created_at, r.job_count
    FROM runs r WHERE r.tenant_id = t.tenant_id ORDER BY r.run_id DESC LIMIT 1) AS l ON true
-- Runs with a running job: a few hundred pairs to hash.
LEFT JOIN (SELECT DISTINCT tenant_id, run_id FROM jobs WHERE state = 'running') AS a
    ON a.tenant_id = l.tenant_id AND a.run_id = l.run_id
LEFT JOIN LATERAL (
    SELECT sum(c.queued) AS queued FROM queued_job_counts c WHERE c.tenant_id = l.tenant_id AND c.run_id = l.run_id) AS c ON true
LEFT JOIN (
    SELECT tenant_id, sum(requests)::int AS requests FROM autotask_request_counts
    WHERE minute > now() - interval '1 hour' GROUP BY tenant_id) AS b ON b.tenant_id = t.tenant_id;
