-- Dashboard: read-only views in schema `dashboard` for psql, Grafana and
-- `tally status`, and the role `tally_dashboard` that may read them and
-- nothing else. The views run with their owner's rights, so the role needs
-- no grant on any table, and no view shows a secret or a credential (Autotask
-- user names and integration codes stay out too).
--
-- Every per-tenant view has tenant_id, tenant_slug and tenant_name. The query
-- shapes each view answers in under 100 ms with 10,000 tenants, 1,000,000
-- jobs and 5,000,000 results are in bench/README.md ("Dashboard").

CREATE SCHEMA dashboard;

-- What a person does about a result's reason code (SyncReason, and
-- AutotaskError.Reason in snake_case); NULL for codes that need nothing.
CREATE FUNCTION tally_reason_fix(reason_code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE reason_code
        WHEN 'organization_not_mapped' THEN 'map the organization to its Autotask company and contract: tally map company, tally map contract (tally map suggest proposes matches)'
        WHEN 'organization_removed' THEN 'nothing: the organization was removed from Tally while its job ran'
        WHEN 'product_not_mapped' THEN 'map the product to its Autotask service: tally map product TENANT PRODUCT SERVICE_ID'
        WHEN 'no_usage' THEN 'record the organization''s usage (tally usage refresh, import or set); nothing if it has none'
        WHEN 'usage_stale' THEN 'refresh usage (tally usage refresh or import): it is older than the tenant''s staleness limit'
        WHEN 'contract_not_found' THEN 'the mapped contract is gone or hidden from the API user: map the organization to an existing contract'
        WHEN 'not_found' THEN 'Autotask does not have what the message names: check the contract and service, then the mapping'
        WHEN 'contract_wrong_company' THEN 'the contract belongs to another company: map the organization to a contract of its own company'
        WHEN 'contract_not_recurring' THEN 'map the organization to a Recurring Service contract (only those have service units)'
        WHEN 'contract_inactive' THEN 'activate the contract in Autotask, or map the organization to its active contract'
        WHEN 'contract_not_started' THEN 'wait for the contract to start, or map the organization to the contract in force today'
        WHEN 'contract_expired' THEN 'renew the contract in Autotask (extend its end date), or map the organization to the contract that replaced it'
        WHEN 'contract_out_of_dates' THEN 'today is outside the contract''s dates: extend it in Autotask, or map the organization to the current contract'
        WHEN 'service_not_on_contract' THEN 'add the product''s service to the organization''s contract in Autotask'
        WHEN 'guard_zero' THEN 'check the usage; if going to zero is right, approve it: tally jobs approve'
        WHEN 'guard_drop' THEN 'check the usage; if the drop is right, approve it (tally jobs approve), or raise the tenant''s guard'
        WHEN 'bad_credentials' THEN 'update the tenant''s Autotask API user, secret and integration code: tally tenant credentials'
        WHEN 'missing_permission' THEN 'give the Autotask API user''s security level access to Companies, Contracts and Services (read) and contract services (write)'
        WHEN 'missing_secret' THEN 'store the tenant''s Autotask secret (tally tenant credentials) and give workers the key that sealed it (TALLY_SECRET_KEY)'
        WHEN 'wrong_zone' THEN 'nothing if it passes (Tally finds the zone again); if it persists, check the API user''s zone in Autotask'
        WHEN 'validation' THEN 'Autotask refused the change: read its message (often the contract''s dates or type) and fix that in Autotask'
        WHEN 'budget_exhausted' THEN 'nothing: jobs wait for the hourly budget; raise the tenant''s hourly request budget if its Autotask allowance has room'
        WHEN 'throttled' THEN 'nothing: retried; if frequent, lower the tenant''s hourly request budget (other integrations share it)'
        WHEN 'thread_limit' THEN 'nothing: retried; if frequent, lower the tenant''s concurrency cap'
        WHEN 'server_error' THEN 'retried; if it persists, send Autotask support the request named in the message'
        WHEN 'timeout' THEN 'retried; if it persists, check the network path to Autotask and Autotask''s status page'
        WHEN 'transport' THEN 'retried; if it persists, check DNS, TLS and the network path to Autotask'
        WHEN 'invalid_response' THEN 'Autotask answered something Tally cannot read: report it to Tally''s maintainers with the message'
        WHEN 'cancelled' THEN 'nothing: an operator cancelled the job; run Sync Now to sync it'
        WHEN 'failed' THEN 'read the message; once fixed, retry with tally jobs retry'
    END
$$;

-- The due instant of the schedule's period `step` periods after the one
-- holding the local date `today` (the same instant tally_latest_due, 004,
-- computes for that period). One expression, so that it is inlined.
CREATE FUNCTION tally_period_due(
    schedule_kind text, schedule_day integer, schedule_time time, time_zone text, today date, step integer
) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (CASE schedule_kind
                WHEN 'daily' THEN today + step
                WHEN 'monthly' THEN (date_trunc('month', today) + step * interval '1 month')::date
                    + (least(schedule_day,
                             extract(day FROM date_trunc('month', today) + (step + 1) * interval '1 month' - interval '1 day')::int) - 1)
            END + schedule_time) AT TIME ZONE time_zone
$$;

-- The earliest instant after `now` at which a schedule is due (NULL for a
-- manual one): this period's due instant if it is still ahead, else the next
-- period's. One expression, so it is inlined: a body with a FROM, like
-- tally_latest_due's, runs through the SQL-function executor at about 75 µs
-- a call, most of the tenants view's time over 10,000 tenants.
CREATE FUNCTION tally_next_due(
    schedule_kind text, schedule_day integer, schedule_time time, time_zone text, now timestamptz
) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN tally_period_due(schedule_kind, schedule_day, schedule_time, time_zone, (now AT TIME ZONE time_zone)::date, 0) > now
        THEN tally_period_due(schedule_kind, schedule_day, schedule_time, time_zone, (now AT TIME ZONE time_zone)::date, 0)
        ELSE tally_period_due(schedule_kind, schedule_day, schedule_time, time_zone, (now AT TIME ZONE time_zone)::date, 1)
    END
$$;

-- Indexes for the views' query shapes (bench/README.md, "Dashboard").
-- The most recent results, cluster-wide: sync_status ORDER BY finished_at DESC LIMIT n.
CREATE INDEX results_recent ON results (finished_at);
-- Results that need attention: by time with what failures groups by (an
-- index-only scan), and by run (the tenants view's last run).
CREATE INDEX results_problems_recent ON results (finished_at) INCLUDE (tenant_id, outcome, reason_code, result_id)
    WHERE outcome <> 'succeeded';
CREATE INDEX results_problems_by_run ON results (tenant_id, run_id, outcome) WHERE outcome <> 'succeeded';
-- Runs newest first, cluster-wide and per tenant; a tenant's last run without
-- reading the table (the tenants view reads 10,000 of them).
CREATE INDEX runs_recent ON runs (created_at);
CREATE INDEX runs_recent_by_tenant ON runs (tenant_id, created_at);
CREATE INDEX runs_latest ON runs (tenant_id, run_id) INCLUDE (trigger, created_at, job_count);
-- Held jobs and deferred ones per tenant: written only when a job is held
-- or deferred. (An index of the jobs still to do per run would serve the
-- runs and tenants views, but every enqueue and claim would write it: the
-- scheduler's tick of 1,000,000 jobs took 6 % longer with it.)
CREATE INDEX jobs_held ON jobs (tenant_id) WHERE state = 'held';
CREATE INDEX jobs_deferred ON jobs (tenant_id) WHERE state = 'queued' AND deferred_reason IS NOT NULL;
-- Organizations without a contract (and maybe without a company).
CREATE INDEX organizations_unmapped ON organizations (tenant_id, organization_id) WHERE contract_id IS NULL;

-- The latest result of each tenant, organization and product: the table an
-- MSP looks at. A result is the latest when no result of the same
-- organization and product finished after it (probed on results_latest).
-- Shapes: WHERE tenant_id = X; cluster-wide ORDER BY finished_at DESC LIMIT n.
CREATE VIEW dashboard.sync_status AS
SELECT r.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       r.organization_id, o.name AS organization_name, r.product,
       r.finished_at, r.outcome, r.reason_code,
       r.units_before, r.target_units, r.units_after, r.units_after - r.units_before AS change,
       r.adjustment_id, r.contract_id, r.service_id,
       CASE WHEN r.message <> '' THEN r.message
            WHEN r.outcome = 'succeeded' AND r.adjustment_id IS NOT NULL
                THEN format('set to %s %s (was %s) by adjustment %s', r.units_after, p.unit_name, r.units_before, r.adjustment_id)
            WHEN r.outcome = 'succeeded' THEN format('%s %s, unchanged', r.units_after, p.unit_name)
            ELSE r.outcome END AS message,
       r.run_id, r.job_id, r.attempts
FROM results r
JOIN tenants t ON t.tenant_id = r.tenant_id
JOIN organizations o ON o.tenant_id = r.tenant_id AND o.organization_id = r.organization_id
JOIN products p ON p.product = r.product
WHERE NOT EXISTS (
    SELECT FROM results later
    WHERE later.tenant_id = r.tenant_id AND later.organization_id = r.organization_id AND later.product = r.product
      AND later.finished_at >= r.finished_at
      AND (later.finished_at > r.finished_at OR later.result_id > r.result_id));

-- Each run: its jobs by outcome (from results, which outlive pruned jobs),
-- those still queued or running, its state, and how long it took or has
-- taken so far. Shapes: WHERE tenant_id = X ORDER BY created_at DESC (LIMIT n);
-- cluster-wide ORDER BY created_at DESC LIMIT n.
CREATE VIEW dashboard.runs AS
SELECT r.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       r.run_id, r.trigger, r.due_at, r.created_at, r.organization_id, r.product, r.dry_run, r.requested_by,
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

-- The queue of each tenant with jobs queued, running or held: ready jobs
-- (due now), deferred ones (e.g. the hourly budget is spent; one of their
-- reasons), how long the oldest ready job has waited since it was due, and
-- when the next job that is not due yet will be. Shapes: WHERE tenant_id = X;
-- cluster-wide, every row. Each state is counted from its own partial
-- index without reading the table: right after the scheduler queued a
-- million jobs, the cluster-wide read is an index-only scan of a million
-- entries, not a million table rows.
CREATE VIEW dashboard.queue AS
SELECT s.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       s.queued, s.ready, s.deferred, s.running, s.held, t.concurrency_cap,
       date_trunc('second', now() - s.oldest_ready_at) AS oldest_queued_age, s.next_run_at,
       CASE WHEN s.deferred > 0 THEN
           (SELECT j.deferred_reason FROM jobs j
            WHERE j.tenant_id = s.tenant_id AND j.state = 'queued' AND j.deferred_reason IS NOT NULL LIMIT 1) END AS deferred_reason
FROM (
    SELECT tenant_id, sum(queued)::int AS queued, sum(ready)::int AS ready, sum(deferred)::int AS deferred,
           sum(running)::int AS running, sum(held)::int AS held,
           min(oldest_ready_at) AS oldest_ready_at, min(next_run_at) AS next_run_at
    FROM (
        SELECT tenant_id, count(*) AS queued, count(*) FILTER (WHERE run_at <= now()) AS ready, 0 AS deferred,
               0 AS running, 0 AS held,
               min(run_at) FILTER (WHERE run_at <= now()) AS oldest_ready_at,
               min(run_at) FILTER (WHERE run_at > now()) AS next_run_at
        FROM jobs WHERE state = 'queued' GROUP BY tenant_id
        UNION ALL
        SELECT tenant_id, 0, 0, count(*), 0, 0, NULL, NULL
        FROM jobs WHERE state = 'queued' AND deferred_reason IS NOT NULL GROUP BY tenant_id
        UNION ALL
        SELECT tenant_id, 0, 0, 0, count(*), 0, NULL, NULL FROM jobs WHERE state = 'running' GROUP BY tenant_id
        UNION ALL
        SELECT tenant_id, 0, 0, 0, 0, count(*), NULL, NULL FROM jobs WHERE state = 'held' GROUP BY tenant_id) AS parts
    GROUP BY tenant_id) AS s
JOIN tenants t ON t.tenant_id = s.tenant_id;

-- Results of the last 24 hours that need attention (failed, held, skipped),
-- per tenant, outcome and reason, with what to do. A daily schedule writes
-- one result per organization and product a day, so this is about the
-- latest run's problems. Shapes: WHERE tenant_id = X; cluster-wide, summed
-- by outcome and reason (sql/dashboard.psql). LEFT JOIN: the cluster-wide
-- sum then never reads tenants.
CREATE VIEW dashboard.failures AS
SELECT f.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       f.outcome, f.reason_code, f.results, f.first_at, f.last_at,
       (SELECT m.message FROM results m WHERE m.tenant_id = f.tenant_id AND m.result_id = f.last_result_id) AS sample_message,
       tally_reason_fix(f.reason_code) AS fix
FROM (
    SELECT x.tenant_id, x.outcome, coalesce(x.reason_code, x.outcome) AS reason_code,
           count(*)::int AS results, min(x.finished_at) AS first_at, max(x.finished_at) AS last_at,
           max(x.result_id) AS last_result_id
    FROM results x
    WHERE x.finished_at > now() - interval '24 hours' AND x.outcome IN ('failed', 'held', 'skipped')
    GROUP BY x.tenant_id, x.outcome, coalesce(x.reason_code, x.outcome)) AS f
LEFT JOIN tenants t ON t.tenant_id = f.tenant_id;

-- Worker processes, their heartbeats and the jobs and tenant slots they
-- hold. Silent for 90 s (three leases of the default 30 s) is stale: the
-- worker is probably dead, and its jobs return to the queue as their
-- leases run out (workers forget dead ones after an hour).
CREATE VIEW dashboard.workers AS
SELECT w.worker_id, w.host, w.pid, w.version, w.kinds, w.concurrency, w.started_at, w.heartbeat_at,
       date_trunc('second', now() - w.heartbeat_at) AS heartbeat_age,
       w.stopping, coalesce(j.running, 0) AS running_jobs, coalesce(s.slots, 0) AS slots_held,
       w.heartbeat_at < now() - interval '90 seconds' AS stale
FROM workers w
LEFT JOIN (SELECT worker_id, count(*)::int AS running FROM jobs WHERE state = 'running' GROUP BY worker_id) AS j
    ON j.worker_id = w.worker_id
LEFT JOIN (SELECT holder_worker, count(*)::int AS slots FROM queue_slots WHERE holder_worker IS NOT NULL GROUP BY holder_worker) AS s
    ON s.holder_worker = w.worker_id;

-- The last 60 minutes, a row per minute: jobs finished (every kind), how
-- long they ran (started → finished, ms: 50th, 95th, 99th percentile), and
-- Tally's Autotask requests. The window bounds the cost: percentiles read
-- every job finished in it.
CREATE VIEW dashboard.throughput AS
SELECT m.minute, coalesce(j.finished, 0) AS finished, coalesce(j.succeeded, 0) AS succeeded,
       coalesce(j.failed, 0) AS failed, j.latency[1] AS p50_ms, j.latency[2] AS p95_ms, j.latency[3] AS p99_ms,
       coalesce(a.requests, 0) AS autotask_requests, coalesce(a.errors, 0) AS autotask_errors
FROM generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()), interval '1 minute') AS m(minute)
LEFT JOIN (
    SELECT date_trunc('minute', finished_at) AS minute, count(*)::int AS finished,
           count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE state = 'failed')::int AS failed,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000)::int[] AS latency
    FROM jobs
    WHERE finished_at >= date_trunc('minute', now()) - interval '59 minutes'
    GROUP BY 1) AS j ON j.minute = m.minute
LEFT JOIN (
    SELECT minute, sum(requests)::int AS requests, sum(errors)::int AS errors
    FROM autotask_request_counts WHERE minute >= date_trunc('minute', now()) - interval '59 minutes'
    GROUP BY minute) AS a ON a.minute = m.minute;

-- Each tenant: its schedule, the next scheduled run (in UTC and in the
-- tenant's time zone), the last run and how it went (running while jobs
-- are to do; else failed, held or cancelled if any of its jobs ended so;
-- else succeeded), and the Autotask request budget used in the past hour
-- (the window the workers enforce). Shapes: WHERE tenant_id = X;
-- cluster-wide, every row (index probes per tenant: its last run, whether
-- a job of it is queued, then whether one failed, else was held, else was
-- cancelled).
CREATE VIEW dashboard.tenants AS
SELECT t.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, t.time_zone,
       CASE t.schedule_kind
           WHEN 'daily' THEN 'daily at ' || left(t.schedule_time::text, 5)
           WHEN 'monthly' THEN 'monthly on day ' || t.schedule_day || ' at ' || left(t.schedule_time::text, 5)
           ELSE 'manual' END AS schedule,
       t.paused, n.next_run_at,
       to_char(n.next_run_at AT TIME ZONE t.time_zone, 'YYYY-MM-DD HH24:MI') AS next_run_local,
       l.run_id AS last_run_id, l.trigger AS last_run_trigger, l.created_at AS last_run_at, l.job_count AS last_run_jobs,
       CASE WHEN l.run_id IS NULL THEN NULL
            WHEN a.run_id IS NOT NULL
                 -- The queue's hint: a tenant with a queued job has ready_at set.
                 OR (q.ready_at IS NOT NULL AND (SELECT true FROM jobs j WHERE j.tenant_id = l.tenant_id
                                                 AND j.run_id = l.run_id AND j.state = 'queued' LIMIT 1)) THEN 'running'
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
-- Runs with a running job: a few hundred pairs to hash (queued jobs are probed above).
LEFT JOIN (SELECT DISTINCT tenant_id, run_id FROM jobs WHERE state = 'running') AS a
    ON a.tenant_id = l.tenant_id AND a.run_id = l.run_id
LEFT JOIN queue_tenants q ON q.tenant_id = t.tenant_id
LEFT JOIN (
    SELECT tenant_id, sum(requests)::int AS requests FROM autotask_request_counts
    WHERE minute > now() - interval '1 hour' GROUP BY tenant_id) AS b ON b.tenant_id = t.tenant_id;

-- Organizations Tally cannot sync yet: no Autotask company, or no contract;
-- with their usage (what would be billed) and the command that maps them.
-- Shapes: WHERE tenant_id = X; cluster-wide, counted per tenant.
CREATE VIEW dashboard.unmapped AS
SELECT o.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       o.organization_id, o.name AS organization_name, o.company_id,
       CASE WHEN o.company_id IS NULL THEN 'company' ELSE 'contract' END AS missing,
       (SELECT string_agg(u.product || ' ' || u.units, ', ' ORDER BY u.product) FROM usage u
        WHERE u.tenant_id = o.tenant_id AND u.organization_id = o.organization_id) AS usage,
       CASE WHEN o.company_id IS NULL
            THEN format('tally map company %s %s COMPANY_ID, then tally map contract (tally map suggest %s proposes matches)',
                        t.slug, o.organization_id, t.slug)
            ELSE format('tally map contract %s %s CONTRACT_ID', t.slug, o.organization_id) END AS fix,
       o.created_at
FROM organizations o
JOIN tenants t ON t.tenant_id = o.tenant_id
WHERE o.contract_id IS NULL;

-- tally_dashboard reads these views and nothing else: no grant on any
-- table, so no secret or credential is reachable. Roles are cluster-wide:
-- another database of the cluster (or a DBA) may have created it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tally_dashboard') THEN
        CREATE ROLE tally_dashboard NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'creating role tally_dashboard needs the CREATEROLE privilege'
            USING HINT = 'create it once as a superuser (CREATE ROLE tally_dashboard NOLOGIN), then run tally migrate again';
END
$$;

GRANT USAGE ON SCHEMA dashboard TO tally_dashboard;
GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO tally_dashboard;
-- Views a later migration adds to the schema are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA dashboard GRANT SELECT ON TABLES TO tally_dashboard;
