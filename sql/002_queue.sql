-- The queue's bookkeeping beside `jobs` (001).
--
-- Per-tenant concurrency cap, cluster-wide: a tenant has one row in
-- queue_slots per unit of its cap. A worker task must hold a slot (claimed
-- with FOR UPDATE SKIP LOCKED, so two tasks can never hold the same one)
-- while it holds any of that tenant's jobs; there are never more holders
-- than slots, whatever the number of workers.
--
-- Fairness: queue_tenants is a hint, one row per tenant that may have
-- queued work (ready_at = earliest run_at, top_priority = highest priority),
-- kept by triggers on jobs so that every way of enqueueing (the API, bulk
-- loads, the host platform's own SQL) keeps it. Claims look for work among
-- these rows instead of scanning jobs, take the highest priority first, and
-- among equals the slot claimed longest ago: tenants take turns.

CREATE TABLE queue_slots (
    tenant_id        bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    slot             smallint NOT NULL CHECK (slot >= 1),
    holder_worker    uuid,
    holder_task      integer,
    lease_expires_at timestamptz,
    last_claimed_at  timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (tenant_id, slot),
    CHECK ((holder_worker IS NULL) = (lease_expires_at IS NULL)),
    CHECK ((holder_worker IS NULL) = (holder_task IS NULL))
);

CREATE INDEX queue_slots_held ON queue_slots (holder_worker) WHERE holder_worker IS NOT NULL;
CREATE INDEX queue_slots_leases ON queue_slots (lease_expires_at) WHERE holder_worker IS NOT NULL;

CREATE TABLE queue_tenants (
    tenant_id    bigint PRIMARY KEY REFERENCES tenants ON DELETE CASCADE,
    -- NULL: no queued job (as far as the last claim saw).
    ready_at     timestamptz,
    top_priority smallint NOT NULL DEFAULT 0,
    -- Bumped whenever jobs become queued, so that a claim clears the hint
    -- only if nothing was queued since it read it.
    version      bigint NOT NULL DEFAULT 0
);

CREATE INDEX queue_tenants_ready ON queue_tenants (top_priority DESC, ready_at) WHERE ready_at IS NOT NULL;

-- Which slot a running job is held under; NULL while queued or finished.
ALTER TABLE jobs ADD COLUMN slot smallint;

CREATE INDEX jobs_queued_by_tenant ON jobs (tenant_id, priority DESC, run_at, job_id) WHERE state = 'queued';
CREATE INDEX jobs_queued_run_at ON jobs (tenant_id, run_at) WHERE state = 'queued';
DROP INDEX jobs_ready;

-- A queue table churns: vacuum it early so that dead entries do not pile up
-- at the head of the queued-jobs indexes.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
-- No index on worker_id: a generic plan would prefer it to the primary key
-- for "this job of this worker", and it fills with dead entries as a worker
-- finishes thousands of jobs. Renewal finds a worker's jobs among the
-- running ones (jobs_leases) instead.

-- Slot rows follow each tenant's cap. Surplus slots are removed only when
-- free; a held one goes when its holder releases it (claims never take a
-- slot above the cap).
CREATE FUNCTION tally_sync_queue_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_slots (tenant_id, slot)
    SELECT NEW.tenant_id, s FROM generate_series(1, NEW.concurrency_cap) AS s
    ON CONFLICT DO NOTHING;
    DELETE FROM queue_slots
    WHERE tenant_id = NEW.tenant_id AND slot > NEW.concurrency_cap AND holder_worker IS NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_queue_slots
AFTER INSERT OR UPDATE OF concurrency_cap ON tenants
FOR EACH ROW EXECUTE FUNCTION tally_sync_queue_slots();

INSERT INTO queue_slots (tenant_id, slot)
SELECT tenant_id, s FROM tenants, generate_series(1, concurrency_cap) AS s;

-- Jobs that became queued (inserted, retried, handed back, reclaimed) mark
-- their tenant as having work and wake idle workers.
CREATE FUNCTION tally_note_queued_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_tenants AS q (tenant_id, ready_at, top_priority, version)
    SELECT tenant_id, min(run_at), max(priority), 1
    FROM changed_jobs
    WHERE state = 'queued'
    GROUP BY tenant_id
    ORDER BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET
        ready_at = least(q.ready_at, excluded.ready_at),
        top_priority = CASE WHEN q.ready_at IS NULL THEN excluded.top_priority
                            ELSE greatest(q.top_priority, excluded.top_priority) END,
        version = q.version + 1;
    IF FOUND THEN
        PERFORM pg_notify('tally_jobs', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_note_inserted
AFTER INSERT ON jobs REFERENCING NEW TABLE AS changed_jobs
FOR EACH STATEMENT EXECUTE FUNCTION tally_note_queued_jobs();

-- Per row, but only for rows that went back to queued (retries, hand-backs,
-- reclaims): claims and finishes, the hot path, never call the function.
CREATE FUNCTION tally_note_requeued_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_tenants AS q (tenant_id, ready_at, top_priority, version)
    VALUES (NEW.tenant_id, NEW.run_at, NEW.priority, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET
        ready_at = least(q.ready_at, excluded.ready_at),
        top_priority = CASE WHEN q.ready_at IS NULL THEN excluded.top_priority
                            ELSE greatest(q.top_priority, excluded.top_priority) END,
        version = q.version + 1;
    PERFORM pg_notify('tally_jobs', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_note_requeued
AFTER UPDATE ON jobs
FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state <> 'queued')
EXECUTE FUNCTION tally_note_requeued_job();

INSERT INTO queue_tenants (tenant_id, ready_at, top_priority)
SELECT tenant_id, min(run_at), max(priority) FROM jobs WHERE state = 'queued' GROUP BY tenant_id;

-- Diagnostic log of the built-in `noop` job kind when asked to record:
-- lets tests and benchmarks check, across processes, when each job ran.
CREATE TABLE noop_runs (
    tenant_id   bigint NOT NULL,
    job_id      bigint NOT NULL,
    attempt     integer NOT NULL,
    worker_id   uuid NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz
);

CREATE INDEX noop_runs_by_job ON noop_runs (tenant_id, job_id);

-- Why a job ended skipped or held (failures keep theirs in last_error).
ALTER TABLE jobs ADD COLUMN outcome_message text;
