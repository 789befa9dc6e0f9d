-- Queued jobs, counted per tenant and run as they change, for the dashboard.
--
-- Right after the scheduler's tick there are a million queued jobs, and
-- counting them took the cluster-wide queue view 225–360 ms (an index-only
-- scan of every entry) and made the tenants view read each tenant's first
-- queued job from the table. These counts answer both with a read of a few
-- thousand rows. Only queued jobs are counted: running and held ones are
-- few and have indexes of their own.
--
-- Kept exact by triggers on jobs, whatever changes them (the queue, the
-- scheduler, operators' commands, bulk loads, plain SQL), with one
-- exception: a claim (queued to running under a slot, JobQueue.claim)
-- counts its batch itself, one row update per run instead of one trigger
-- call per job. A finish (running to done, the hot path) calls nothing: a
-- statement-level trigger with transition tables would cost every UPDATE
-- of jobs about 40 µs, 5–15 % of the queue benchmark's rate.
-- Rows at zero stay until a worker's maintenance deletes them (once a minute).
CREATE TABLE queued_job_counts (
    tenant_id bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    -- 0 for jobs of no run (run ids start at 1).
    run_id    bigint NOT NULL,
    queued    integer NOT NULL,
    -- Of those, deferred (deferred_reason set: e.g. the hourly budget is spent).
    deferred  integer NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
);

-- Inserts, deletes and truncates, a statement at a time (the tick inserts a
-- million jobs in one), through the transition tables added_jobs and
-- removed_jobs. Rows are written in key order: no deadlock between statements.
CREATE FUNCTION tally_count_queued_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queued_job_counts AS c (tenant_id, run_id, queued, deferred)
        SELECT tenant_id, coalesce(run_id, 0), count(*), count(*) FILTER (WHERE deferred_reason IS NOT NULL)
        FROM added_jobs WHERE state = 'queued'
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (tenant_id, run_id) DO UPDATE SET
            queued = c.queued + excluded.queued, deferred = c.deferred + excluded.deferred;
    ELSIF TG_OP = 'DELETE' THEN
        -- An update, never an insert: when a tenant is deleted its jobs go
        -- by cascade, and its counts may be gone already.
        UPDATE queued_job_counts c SET queued = c.queued - d.queued, deferred = c.deferred - d.deferred
        FROM (SELECT tenant_id, coalesce(run_id, 0) AS run_id, count(*)::int AS queued,
                     count(*) FILTER (WHERE deferred_reason IS NOT NULL)::int AS deferred
              FROM removed_jobs WHERE state = 'queued' GROUP BY 1, 2 ORDER BY 1, 2) AS d
        WHERE c.tenant_id = d.tenant_id AND c.run_id = d.run_id;
    ELSE
        DELETE FROM queued_job_counts;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_inserted
AFTER INSERT ON jobs REFERENCING NEW TABLE AS added_jobs
FOR EACH STATEMENT EXECUTE FUNCTION tally_count_queued_jobs();

CREATE TRIGGER jobs_count_deleted
AFTER DELETE ON jobs REFERENCING OLD TABLE AS removed_jobs
FOR EACH STATEMENT EXECUTE FUNCTION tally_count_queued_jobs();

CREATE TRIGGER jobs_count_truncated
AFTER TRUNCATE ON jobs
FOR EACH STATEMENT EXECUTE FUNCTION tally_count_queued_jobs();

-- Updates, a row at a time, only rows that enter or leave the queue (or
-- change run or deferral while in it): retries, deferrals, hand-backs,
-- reclaims, cancels, operators' retries.
CREATE FUNCTION tally_count_requeued_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'queued' THEN
        UPDATE queued_job_counts
        SET queued = queued - 1, deferred = deferred - (OLD.deferred_reason IS NOT NULL)::int
        WHERE tenant_id = OLD.tenant_id AND run_id = coalesce(OLD.run_id, 0);
    END IF;
    IF NEW.state = 'queued' THEN
        INSERT INTO queued_job_counts AS c (tenant_id, run_id, queued, deferred)
        VALUES (NEW.tenant_id, coalesce(NEW.run_id, 0), 1, (NEW.deferred_reason IS NOT NULL)::int)
        ON CONFLICT (tenant_id, run_id) DO UPDATE SET queued = c.queued + 1, deferred = c.deferred + excluded.deferred;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_requeued
AFTER UPDATE ON jobs
FOR EACH ROW
WHEN ((OLD.state = 'queued' OR NEW.state = 'queued')
      AND (OLD.state <> NEW.state OR OLD.tenant_id <> NEW.tenant_id OR OLD.run_id IS DISTINCT FROM NEW.run_id
           OR (OLD.deferred_reason IS NULL) <> (NEW.deferred_reason IS NULL))
      -- A claim counts its own batch.
      AND NOT (OLD.state = 'queued' AND NEW.state = 'running' AND NEW.slot IS NOT NULL))
EXECUTE FUNCTION tally_count_requeued_job();

-- The queued jobs counted afresh, as the counts ought to be.
CREATE FUNCTION tally_queued_jobs_now() RETURNS TABLE (tenant_id bigint, run_id bigint, queued integer, deferred integer)
LANGUAGE sql STABLE AS $$
    SELECT tenant_id, coalesce(run_id, 0), count(*)::int, count(*) FILTER (WHERE deferred_reason IS NOT NULL)::int
    FROM jobs WHERE state = 'queued' GROUP BY 1, 2
$$;

-- Where the counts differ from the jobs (none, unless triggers were
-- bypassed, e.g. by session_replication_role = replica):
-- SELECT * FROM tally_queued_count_mismatches();
CREATE FUNCTION tally_queued_count_mismatches()
RETURNS TABLE (tenant_id bigint, run_id bigint, counted_queued integer, counted_deferred integer, queued integer, deferred integer)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(c.tenant_id, a.tenant_id), coalesce(c.run_id, a.run_id), c.queued, c.deferred, a.queued, a.deferred
    FROM (SELECT * FROM queued_job_counts WHERE queued <> 0 OR deferred <> 0) AS c
    FULL JOIN tally_queued_jobs_now() AS a ON a.tenant_id = c.tenant_id AND a.run_id = c.run_id
    WHERE c.queued IS DISTINCT FROM a.queued OR c.deferred IS DISTINCT FROM a.deferred
    ORDER BY 1, 2
$$;

-- Sets the rows that are wrong to what the jobs say (one count of the
-- jobs) and answers how many there were: SELECT tally_recount_queued_jobs();
-- Writes to jobs wait meanwhile. A row set to zero goes with the next prune.
CREATE FUNCTION tally_recount_queued_jobs() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    wrong integer;
BEGIN
    LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO queued_job_counts AS c (tenant_id, run_id, queued, deferred)
    SELECT m.tenant_id, m.run_id, coalesce(m.queued, 0), coalesce(m.deferred, 0) FROM tally_queued_count_mismatches() AS m
    ON CONFLICT (tenant_id, run_id) DO UPDATE SET queued = excluded.queued, deferred = excluded.deferred;
    GET DIAGNOSTICS wrong = ROW_COUNT;
    RETURN wrong;
END
$$;

-- The jobs already queued (a migration runs in one transaction, so no
-- change to jobs falls between this count and the triggers).
SELECT tally_recount_queued_jobs();

-- The queue view from the counts: queued and deferred per tenant from
-- queued_job_counts, running and held from their partial indexes (there are
-- few), and per tenant with queued jobs two or three index probes of
-- jobs_queued_run_at: the earliest job, the first one not due yet, and only
-- if there is one, how many are not due yet (ready = queued − those).
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
    WHERE s.queued > 0 AND j.tenant_id = s.tenant_id AND j.state = 'queued'
    ORDER BY j.run_at LIMIT 1) AS first ON true
LEFT JOIN LATERAL (
    SELECT j.run_at FROM jobs j
    WHERE first.run_at IS NOT NULL AND j.tenant_id = s.tenant_id AND j.state = 'queued' AND j.run_at > now()
    ORDER BY j.run_at LIMIT 1) AS next ON true
LEFT JOIN LATERAL (
    SELECT count(*)::int AS jobs FROM jobs j
    WHERE next.run_at IS NOT NULL AND j.tenant_id = s.tenant_id AND j.state = 'queued' AND j.run_at > now()) AS later ON true;

-- The tenants view: a last run with a queued job is running, read from the
-- counts instead of the jobs.
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
LEFT JOIN queued_job_counts c ON c.tenant_id = l.tenant_id AND c.run_id = l.run_id
LEFT JOIN (
    SELECT tenant_id, sum(requests)::int AS requests FROM autotask_request_counts
    WHERE minute > now() - interval '1 hour' GROUP BY tenant_id) AS b ON b.tenant_id = t.tenant_id;
