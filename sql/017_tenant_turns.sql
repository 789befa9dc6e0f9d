-- Claims find the tenant whose turn it is through an index (issue 19).
--
-- A claim used to sort the free slots of every ready tenant to take the one
-- claimed longest ago: with 1,000 ready tenants that sort was most of the
-- claim (3,000 rows), and the claim's cost grew with the number of tenants.
-- Each tenant's row in queue_tenants now carries its turn: the time its
-- longest-idle free slot was last claimed (NULL while no slot is free), kept
-- by a trigger on queue_slots. A claim walks queue_tenants_turn in order
-- (priority, then turn) and stops at the first tenant with a free slot it
-- can lock: the same order as before, read from an index.
ALTER TABLE queue_tenants ADD COLUMN turn_at timestamptz;

CREATE INDEX queue_tenants_turn ON queue_tenants (top_priority DESC, turn_at, tenant_id)
    WHERE ready_at IS NOT NULL AND turn_at IS NOT NULL;

-- When the tenant's longest-idle free slot (within its cap) was last claimed.
CREATE FUNCTION tally_tenant_turn(tenant bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT min(s.last_claimed_at)
    FROM queue_slots s JOIN tenants t ON t.tenant_id = s.tenant_id
    WHERE s.tenant_id = tenant AND s.holder_worker IS NULL AND s.slot <= t.concurrency_cap
$$;

-- Claims, releases, reclaims and cap changes move a tenant's turn.
CREATE FUNCTION tally_note_slot_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    tenant bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
    turn timestamptz := tally_tenant_turn(tenant);
BEGIN
    UPDATE queue_tenants SET turn_at = turn WHERE tenant_id = tenant AND turn_at IS DISTINCT FROM turn;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_slots_turn
AFTER INSERT OR DELETE OR UPDATE OF holder_worker, last_claimed_at ON queue_slots
FOR EACH ROW EXECUTE FUNCTION tally_note_slot_change();

-- A tenant's row starts with its turn (rows are made when jobs are queued).
CREATE FUNCTION tally_start_tenant_turn() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    NEW.turn_at := tally_tenant_turn(NEW.tenant_id);
    RETURN NEW;
END
$$;

CREATE TRIGGER queue_tenants_turn_start
BEFORE INSERT ON queue_tenants
FOR EACH ROW EXECUTE FUNCTION tally_start_tenant_turn();

UPDATE queue_tenants SET turn_at = tally_tenant_turn(tenant_id);
