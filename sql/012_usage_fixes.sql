-- What to do about missing or stale usage depends on where the tenant's
-- usage comes from: a tenant connected to Huntress refreshes it; one
-- without a Huntress key imports it (or connects Huntress). Other reasons
-- keep their fix (tally_reason_fix(reason_code)), which the cluster-wide
-- summary, covering tenants of both kinds, still uses.
CREATE FUNCTION tally_reason_fix(reason_code text, huntress_connected boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN reason_code = 'no_usage' AND huntress_connected
            THEN 'refresh usage from Huntress (tally usage refresh TENANT --wait); if Huntress still has no count for the organization, it has none: nothing to do'
        WHEN reason_code = 'no_usage'
            THEN 'import the organization''s usage (tally usage import TENANT FILE.csv, or tally usage set), or connect Huntress so that Tally reads it (tally tenant huntress TENANT --key-stdin); nothing if it has none'
        WHEN reason_code = 'usage_stale' AND huntress_connected
            THEN 'refresh usage from Huntress (tally usage refresh TENANT --wait); if the refresh fails, its error is on the run (tally status TENANT) and tally check TENANT tests the Huntress key'
        WHEN reason_code = 'usage_stale'
            THEN 'import current usage (tally usage import TENANT FILE.csv): it is older than the tenant''s staleness limit; or connect Huntress so that each run reads it first (tally tenant huntress TENANT --key-stdin)'
        ELSE tally_reason_fix(reason_code)
    END
$$;

CREATE OR REPLACE VIEW dashboard.failures AS
SELECT f.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,
       f.outcome, f.reason_code, f.results, f.first_at, f.last_at,
       (SELECT m.message FROM results m WHERE m.tenant_id = f.tenant_id AND m.result_id = f.last_result_id) AS sample_message,
       tally_reason_fix(f.reason_code, EXISTS (
           SELECT 1 FROM tenant_secrets s WHERE s.tenant_id = f.tenant_id AND s.kind = 'huntress_api_key')) AS fix
FROM (
    SELECT x.tenant_id, x.outcome, coalesce(x.reason_code, x.outcome) AS reason_code,
           count(*)::int AS results, min(x.finished_at) AS first_at, max(x.finished_at) AS last_at,
           max(x.result_id) AS last_result_id
    FROM results x
    WHERE x.finished_at > now() - interval '24 hours' AND x.outcome IN ('failed', 'held', 'skipped')
    GROUP BY x.tenant_id, x.outcome, coalesce(x.reason_code, x.outcome)) AS f
LEFT JOIN tenants t ON t.tenant_id = f.tenant_id;
