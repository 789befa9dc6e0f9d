-- Huntress as the usage source: which Huntress count bills each product, the
-- tenant's choice between billable counts and the list's, organizations gone
-- from Huntress, and the cluster-wide limit of 60 requests a minute per key.

-- How each product's units come from Huntress. `huntress_count_field` (001)
-- is the organization list's field; where that field is not billable, the
-- billable count is in each organization's detail (`actual_usages`), named
-- by `huntress_detail_count`. A new Huntress product is a row here.
ALTER TABLE products ADD COLUMN huntress_list_is_billable boolean NOT NULL DEFAULT false;
ALTER TABLE products ADD COLUMN huntress_detail_count text
    CHECK (huntress_detail_count IN ('edr.billable_agents_count', 'itdr.billable_identities_count'));
-- The list's agents_count counts every agent; Huntress bills fewer.
UPDATE products SET huntress_list_is_billable = false, huntress_detail_count = 'edr.billable_agents_count'
WHERE product = 'edr';
UPDATE products SET huntress_list_is_billable = true, huntress_detail_count = 'itdr.billable_identities_count'
WHERE product = 'm365';
ALTER TABLE products ADD CHECK (huntress_list_is_billable OR huntress_detail_count IS NOT NULL);

-- 'billable' (default): bill Huntress's billable counts, reading an
-- organization's detail where the list has none; 'list': the list's counts,
-- one request per 500 organizations, which may bill agents Huntress does not.
ALTER TABLE tenants ADD COLUMN huntress_counts text NOT NULL DEFAULT 'billable'
    CHECK (huntress_counts IN ('billable', 'list'));

-- When the organization was last missing from Huntress's list (NULL: present,
-- or never seen there). Its target is then 0, held for approval.
ALTER TABLE organizations ADD COLUMN removed_at timestamptz;

-- Requests sent with each Huntress key in the last minute, cluster-wide.
-- Keyed by a digest of the public key, so tenants that share a key share its limit.
CREATE TABLE huntress_key_limits (
    key_digest  text PRIMARY KEY
);

CREATE TABLE huntress_requests (
    key_digest  text NOT NULL REFERENCES huntress_key_limits ON DELETE CASCADE,
    sent_at     timestamptz NOT NULL
);

CREATE INDEX huntress_requests_by_key ON huntress_requests (key_digest, sent_at);

-- Takes a permit to send one request with the key, or says how many seconds
-- to wait before asking again: at most `per_window` requests in any window
-- of `window_seconds`, counted across every worker. The key's row is locked
-- for the moment of the decision, so two workers cannot both take the last permit.
CREATE FUNCTION tally_huntress_permit(digest text, per_window integer, window_seconds double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz;
    taken integer;
    oldest timestamptz;
BEGIN
    INSERT INTO huntress_key_limits (key_digest) VALUES (digest) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM huntress_key_limits WHERE key_digest = digest FOR UPDATE;
    since := clock_timestamp() - make_interval(secs => window_seconds);
    DELETE FROM huntress_requests WHERE key_digest = digest AND sent_at <= since;
    SELECT count(*), min(sent_at) INTO taken, oldest FROM huntress_requests WHERE key_digest = digest;
    IF taken < per_window THEN
        INSERT INTO huntress_requests (key_digest, sent_at) VALUES (digest, clock_timestamp());
        RETURN 0;
    END IF;
    RETURN greatest(0.01, extract(epoch FROM oldest - since));
END
$$;

-- The fix for the new reason code; otherwise as in 005.
CREATE OR REPLACE FUNCTION tally_reason_fix(reason_code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE reason_code
        WHEN 'organization_not_mapped' THEN 'map the organization to its Autotask company and contract: tally map company, tally map contract (tally map suggest proposes matches)'
        WHEN 'removed_from_huntress' THEN 'the organization is gone from Huntress: if its customer left, approve the change to 0 (tally jobs approve); if not, check the organization in Huntress, then refresh usage'
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

-- Each target's usage as Tally has it now: where it came from (huntress, csv,
-- sql, manual) and how old the observation is. Otherwise as in 005.
CREATE OR REPLACE VIEW dashboard.sync_status AS
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
       r.run_id, r.job_id, r.attempts,
       u.source AS usage_source, u.observed_at AS usage_observed_at,
       date_trunc('second', now() - u.observed_at) AS usage_age
FROM results r
JOIN tenants t ON t.tenant_id = r.tenant_id
JOIN organizations o ON o.tenant_id = r.tenant_id AND o.organization_id = r.organization_id
JOIN products p ON p.product = r.product
LEFT JOIN usage u ON u.tenant_id = r.tenant_id AND u.organization_id = r.organization_id AND u.product = r.product
WHERE NOT EXISTS (
    SELECT FROM results later
    WHERE later.tenant_id = r.tenant_id AND later.organization_id = r.organization_id AND later.product = r.product
      AND later.finished_at >= r.finished_at
      AND (later.finished_at > r.finished_at OR later.result_id > r.result_id));
