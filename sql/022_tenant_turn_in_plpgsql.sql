-- A tenant's turn (sql/017) is read by a PL/pgSQL function, not a SQL one
-- (issue 19).
--
-- The queue_slots trigger calls tally_tenant_turn on every claim and every
-- release. As a SQL function with a join, its body was parsed and planned
-- again in every transaction (a SQL function's plan lives only as long as
-- the calling expression's state, which PL/pgSQL keeps per transaction), and
-- each claim and release is a transaction of its own. PL/pgSQL keeps its
-- statements' plans for the whole session. Measured in bench/README.md.
CREATE OR REPLACE FUNCTION tally_tenant_turn(tenant bigint) RETURNS timestamptz LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT min(s.last_claimed_at)
            FROM queue_slots s JOIN tenants t ON t.tenant_id = s.tenant_id
            WHERE s.tenant_id = tenant AND s.holder_worker IS NULL AND s.slot <= t.concurrency_cap);
END
$$;
