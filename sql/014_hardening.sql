-- Hardening (issue 18).

-- Names are printed in tables and on the dashboard, so
-- they hold no control characters (no terminal escapes) and at most 200
-- characters. Tally refuses such names from operators and CSV files
-- (DisplayName) and cleans those from Huntress; these checks hold the rule
-- for SQL writers too. NOT VALID: rows written before are not re-checked.
ALTER TABLE tenants ADD CONSTRAINT tenants_name_printable
    CHECK (char_length(name) <= 200 AND name !~ '[\u0001-\u001f\u007f-\u009f\u2028\u2029]') NOT VALID;
ALTER TABLE organizations ADD CONSTRAINT organizations_name_printable
    CHECK (char_length(name) <= 200 AND name !~ '[\u0001-\u001f\u007f-\u009f\u2028\u2029]') NOT VALID;

-- A secret sealed with its tenant and kind as AES-GCM associated data does
-- not open in another tenant's row (SecretBinding). Rows sealed before are
-- not bound (false, also what an older binary writes); workers bind them
-- with their own key when they start (TenantSecrets.bindLegacy).
ALTER TABLE tenant_secrets ADD COLUMN bound boolean NOT NULL DEFAULT false;

-- Only the owner creates objects in public (PostgreSQL 15's default; older
-- servers let every role): a role that could would shadow a table or a
-- function that Tally names without a schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Tally's PL/pgSQL functions (triggers among them) resolve names in public,
-- then pg_temp, whatever the caller's search_path. Tally's own sessions pin
-- the same path (Connection.connect); the SQL functions stay unpinned so the
-- planner may still inline them.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang
        WHERE n.nspname = 'public' AND p.proname LIKE 'tally\_%' AND l.lanname = 'plpgsql'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = public, pg_temp', f);
    END LOOP;
END
$$;
