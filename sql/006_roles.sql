-- Least privilege. `tally_app` is what workers, schedulers and the CLI need:
-- read and write the rows of every table, nothing else — no DDL, which only
-- the role that runs migrations (the owner) may do. Grant it to a login role:
--   CREATE ROLE tally_worker LOGIN PASSWORD '…' IN ROLE tally_app;
-- Roles belong to the whole cluster, so an existing one is reused.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_app') THEN
        CREATE ROLE tally_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database's migration created it just now
END
$$;

GRANT USAGE ON SCHEMA public TO tally_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tally_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO tally_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO tally_app;
-- Tables of later migrations, made by the same owner.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tally_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO tally_app;
-- The migration ledger is the owner's alone.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM tally_app;
