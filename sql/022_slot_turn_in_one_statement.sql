-- A claim's and a release's update of their tenant's turn (sql/017) is one
-- statement of the trigger itself (issue 19).
--
-- The trigger called tally_tenant_turn, a SQL function with a join: called
-- from PL/pgSQL, its body was parsed and planned again in every transaction
-- (a SQL function's plan lives only as long as the calling expression's
-- state, which PL/pgSQL keeps per transaction), and every claim and every
-- release is a transaction of its own. PL/pgSQL keeps the plan of a
-- statement of its own for the whole session.
CREATE OR REPLACE FUNCTION tally_note_slot_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    tenant bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
    -- tally_tenant_turn(tenant), written out.
    UPDATE queue_tenants q SET turn_at = x.turn
    FROM (SELECT min(s.last_claimed_at) AS turn
          FROM queue_slots s JOIN tenants t ON t.tenant_id = s.tenant_id
          WHERE s.tenant_id = tenant AND s.holder_worker IS NULL AND s.slot <= t.concurrency_cap) AS x
    WHERE q.tenant_id = tenant AND q.turn_at IS DISTINCT FROM x.turn;
    RETURN NULL;
END
$$;
