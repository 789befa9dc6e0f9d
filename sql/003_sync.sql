-- Sync: what a run covers, the result row written with each sync job's end,
-- Tally's Autotask requests per tenant and minute (the hourly budget), the
-- write intents that keep two tasks from adjusting one contract service at
-- once, and a queue hint for jobs made due sooner.

-- What a handler reported about its job, written by the statement that ends it
-- (a sync job: contract, service, units before/target/after, adjustment, reason code).
ALTER TABLE jobs ADD COLUMN report jsonb CHECK (report IS NULL OR jsonb_typeof(report) = 'object');

-- A run knows how many jobs it created, so its progress is done/total even
-- after finished jobs are pruned (results stay).
ALTER TABLE runs ADD COLUMN job_count integer NOT NULL DEFAULT 0 CHECK (job_count >= 0);

-- One result per sync job: a held job that is approved and runs again replaces its result.
CREATE UNIQUE INDEX results_one_per_job ON results (tenant_id, job_id);

-- The (organization, product) pairs a full run of a tenant syncs: every
-- organization, for each product the tenant mapped to a service or has usage
-- of. Organizations without a contract are included on purpose: their jobs
-- end `skipped` with a message that says how to map them.
CREATE VIEW sync_targets AS
SELECT o.tenant_id, o.organization_id, p.product
FROM organizations o
CROSS JOIN products p
WHERE EXISTS (SELECT 1 FROM service_mappings m WHERE m.tenant_id = o.tenant_id AND m.product = p.product)
   OR EXISTS (SELECT 1 FROM usage u
              WHERE u.tenant_id = o.tenant_id AND u.organization_id = o.organization_id AND u.product = p.product);

-- A sync job's unique key: at most one job per (tenant, run, organization, product).
-- Explicit ::text casts keep the body inlinable (`text || bigint` is only STABLE).
CREATE FUNCTION tally_sync_job_key(run_id bigint, organization_id bigint, product text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'sync:' || run_id::text || ':' || organization_id::text || ':' || product $$;

-- Writes the result row of a sync job in the statement that ends it, whatever
-- ended it: the handler, a reclaim after the lease ran out too often, a cancel.
CREATE FUNCTION tally_record_sync_result() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    organization bigint;
BEGIN
    -- Malformed arguments (no organization or product) have no result row:
    -- the job's own row says why it failed.
    IF coalesce(NEW.args->>'organization_id', '') !~ '^[1-9][0-9]{0,17}$'
       OR NOT EXISTS (SELECT 1 FROM products WHERE product = NEW.args->>'product') THEN
        RETURN NULL;
    END IF;
    organization := (NEW.args->>'organization_id')::bigint;
    -- The job's write to its contract service (if any) is over: later reads see it.
    UPDATE contract_service_writes SET written_at = now()
    WHERE tenant_id = NEW.tenant_id AND contract_id = (NEW.report->>'contract_id')::bigint
      AND service_id = (NEW.report->>'service_id')::bigint AND job_id = NEW.job_id AND written_at = 'infinity';
    INSERT INTO results AS r (
        tenant_id, job_id, run_id, organization_id, product, outcome, reason_code, message,
        contract_id, service_id, units_before, target_units, units_after, adjustment_id, attempts, started_at, finished_at)
    SELECT NEW.tenant_id, NEW.job_id, NEW.run_id, organization, NEW.args->>'product', NEW.state,
           coalesce(NEW.report->>'reason_code',
                    CASE NEW.state WHEN 'cancelled' THEN 'cancelled' WHEN 'failed' THEN 'failed' END),
           coalesce(NEW.outcome_message, NEW.last_error, ''),
           (NEW.report->>'contract_id')::bigint, (NEW.report->>'service_id')::bigint,
           (NEW.report->>'units_before')::int, (NEW.report->>'target_units')::int,
           (NEW.report->>'units_after')::int, (NEW.report->>'adjustment_id')::bigint,
           greatest(NEW.attempts, 1), NEW.started_at, coalesce(NEW.finished_at, now())
    -- The organization may have been removed while its job ran.
    WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.tenant_id = NEW.tenant_id AND o.organization_id = organization)
    ON CONFLICT (tenant_id, job_id) DO UPDATE SET
        outcome = EXCLUDED.outcome, reason_code = EXCLUDED.reason_code, message = EXCLUDED.message,
        contract_id = EXCLUDED.contract_id, service_id = EXCLUDED.service_id,
        units_before = EXCLUDED.units_before, target_units = EXCLUDED.target_units,
        units_after = EXCLUDED.units_after, adjustment_id = EXCLUDED.adjustment_id,
        attempts = EXCLUDED.attempts, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_record_sync_result
AFTER UPDATE OF state ON jobs
FOR EACH ROW
WHEN (NEW.kind = 'sync' AND NEW.state IN ('succeeded', 'failed', 'skipped', 'held', 'cancelled')
      AND NEW.state IS DISTINCT FROM OLD.state)
EXECUTE FUNCTION tally_record_sync_result();

-- The queue: a queued job made due sooner or more urgent (an operator's
-- "run now", a deferral cut short) updates its tenant's hint at once.
CREATE TRIGGER jobs_note_hastened
AFTER UPDATE OF run_at, priority ON jobs
FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state = 'queued'
                   AND (NEW.run_at < OLD.run_at OR NEW.priority > OLD.priority))
EXECUTE FUNCTION tally_note_requeued_job();

-- Tally's Autotask requests per tenant and minute: the hourly budget is the
-- sum of the last 60 minutes, counted by every worker of the cluster.
CREATE TABLE autotask_request_counts (
    tenant_id  bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    minute     timestamptz NOT NULL,
    requests   integer NOT NULL DEFAULT 0 CHECK (requests >= 0),
    errors     integer NOT NULL DEFAULT 0 CHECK (errors >= 0),
    PRIMARY KEY (tenant_id, minute)
);

CREATE INDEX autotask_request_counts_by_minute ON autotask_request_counts (minute);

-- Tally's writes to each contract service. A task about to post an
-- adjustment holds an advisory lock on the key, sets written_at to 'infinity'
-- (committed: "a write is under way"), posts, and unlocks; the statement that
-- ends the job sets the time (tally_record_sync_result). A task whose
-- Autotask read is older than written_at re-reads the units before it
-- writes, so two jobs of one organization and product never add twice, even
-- when a worker dies between its post and its bookkeeping.
CREATE TABLE contract_service_writes (
    tenant_id    bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    contract_id  bigint NOT NULL,
    service_id   bigint NOT NULL,
    job_id       bigint NOT NULL,
    written_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, contract_id, service_id)
);
