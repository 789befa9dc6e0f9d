-- An audit note on the Autotask contract for every adjustment Tally posts
-- (issue 20), so that "why did my bill change?" is answered inside Autotask.
--
-- A note is owed once its adjustment has landed, and never makes a sync
-- post twice. The writer records the note as 'pending' with the write's
-- mark, before it posts (ContractServiceWriter):
--   pending → owed     the post was answered with an adjustment id, or an
--                      unanswered post was found landed by a later re-read
--                      (Autotask shows the units it set);
--   pending → dropped  the post was refused, never sent, or did not land;
--   owed    → posted   the `contract_note` job posted the note.
-- Whoever turns a note 'owed' enqueues its `contract_note` job in the same
-- statement. The job marks `note_sent_at` before it posts; a later attempt
-- after a post without an answer looks the note up by the marker in its
-- title before it posts again.
ALTER TABLE tenants ADD COLUMN contract_notes boolean NOT NULL DEFAULT true;

CREATE TABLE contract_notes (
    note_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    contract_id      bigint NOT NULL,
    service_id       bigint NOT NULL,
    contract_name    text,
    -- The sync job that wrote, and its run.
    write_job_id     bigint NOT NULL,
    run_id           bigint,
    organization_id  bigint NOT NULL,
    -- No foreign key: products is a two-row table every writer would share-lock.
    product          text NOT NULL,
    units_before     integer,
    units_after      integer NOT NULL,
    usage            integer,
    usage_observed_at timestamptz,
    usage_source     text,
    -- Organizations sharing the contract whose usage made the target.
    sharers          integer NOT NULL DEFAULT 0,
    -- Set when a person approved a change the guard rails held.
    approved_by      text,
    effective_date   date NOT NULL,
    adjustment_id    bigint,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'owed', 'dropped', 'posted')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    note_sent_at     timestamptz,
    autotask_note_id bigint,
    posted_at        timestamptz,
    CHECK ((state = 'posted') = (autotask_note_id IS NOT NULL))
);

CREATE INDEX contract_notes_pending ON contract_notes (tenant_id, contract_id, service_id) WHERE state = 'pending';
CREATE INDEX contract_notes_run ON contract_notes (tenant_id, run_id);
