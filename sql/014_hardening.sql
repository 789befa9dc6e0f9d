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
