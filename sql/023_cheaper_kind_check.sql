-- The job kind's CHECK without a bounded repeat (issue 19).
--
-- PostgreSQL checks every CHECK constraint of a row on every UPDATE, and a
-- claim and an end each update every job of a batch. `[a-z0-9_]{0,62}`
-- makes the regular expression engine expand the repeat: 1.7 s for a million
-- matches, against 0.19 s for `[a-z0-9_]*` with the length checked apart,
-- and the old check was 2.5 % of all CPU samples of the queue benchmark.
-- The same rule: a lowercase letter, then up to 62 of lowercase letters,
-- digits and underscores (SchemaTests compares the two on edge cases).
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check,
    ADD CONSTRAINT jobs_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]*$' AND length(kind) <= 63);
