-- Tally's queries are short (claims, finishes, probes of the dashboard's
-- views); PostgreSQL's JIT compiles the larger ones for longer than they
-- run (the cluster-wide tenants view: 88 ms without, 127 ms with it). So
-- every session of this database starts with JIT off: workers, schedulers,
-- the CLI, and Grafana's or an operator's login to the dashboard, whatever
-- role they use. A role or session setting still overrides it.
-- Only the database's owner (or a superuser) may do this; anyone else gets
-- a warning with the statement to run, and the migration still applies.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not turn JIT off for database %: only its owner may', current_database()
        USING HINT = format('run as the owner or a superuser: ALTER DATABASE %I SET jit = off', current_database());
END
$$;
