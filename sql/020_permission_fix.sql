-- Say what the API user needs the same way everywhere (issue 20): a sync
-- reads Contracts and adjusts contract services, mapping reads Companies;
-- Services only confirms a mapped service. The text equals
-- AutotaskPermissions.fix (a test checks). The list is replaced whole, as
-- in 013 (the views bind this function by oid).
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
        WHEN 'autotask_busy' THEN 'nothing, if other integrations calm down: the Autotask database''s hourly requests (all integrations) are past the tenant''s share; raise it (tally tenant schedule TENANT --autotask-share N) or find the integration that uses the rest'
        WHEN 'units_unknown' THEN 'no ContractServiceUnits row covers today although the service is on the contract: check the service''s dates on the contract in Autotask, then sync again'
        WHEN 'write_unanswered' THEN 'nothing: an earlier adjustment got no answer from Autotask; the job re-reads the units once that adjustment can no longer land, and writes only what is missing'
        WHEN 'guard_zero' THEN 'check the usage; if going to zero is right, approve it: tally jobs approve'
        WHEN 'guard_drop' THEN 'check the usage; if the drop is right, approve it (tally jobs approve), or raise the tenant''s guard'
        WHEN 'bad_credentials' THEN 'update the tenant''s Autotask API user, secret and integration code: tally tenant credentials'
        WHEN 'missing_permission' THEN 'give the Autotask API user''s security level access to Companies and Contracts in Autotask (Admin › Security Levels): read both, adjust contract services and add contract notes; reading Services is optional (it lets tally map product and tally check confirm a mapped service)'
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
