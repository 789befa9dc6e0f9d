-- A run of a tenant that takes usage from Huntress refreshes it first: the
-- run starts 'refreshing', with one usage_refresh job, and its sync jobs are
-- created when the refresh ends (Runs.startSyncing), in the transaction that
-- writes what the refresh read — so a run never syncs half-old, half-new
-- usage. When the refresh fails, the sync jobs still come, and usage older
-- than the tenant's limit is skipped with the Huntress error (refresh_error).
ALTER TABLE runs ADD COLUMN phase text NOT NULL DEFAULT 'syncing' CHECK (phase IN ('refreshing', 'syncing'));
ALTER TABLE runs ADD COLUMN refresh_error text;

-- How long before a scheduled run's due time its refresh starts, so that its
-- syncs can start at the due time (they wait for it): the last refresh's
-- duration with room to spare, set by each refresh (UsageRefreshKind).
ALTER TABLE tenants ADD COLUMN refresh_lead interval NOT NULL DEFAULT '10 minutes'
    CHECK (refresh_lead BETWEEN interval '0' AND interval '12 hours');

-- The scheduler looks for refreshing runs whose refresh ended without starting the syncs (its worker died on the last attempt).
CREATE INDEX runs_refreshing ON runs (tenant_id, run_id) WHERE phase = 'refreshing';
