-- Tenants take turns at the tenant, not the slot: a claim walks
-- queue_tenants in turn order (best priority, then claimed longest ago) by
-- this index and stops at the first ready tenant with a free slot, so its
-- cost does not grow with the number of tenants that have work. Before, it
-- joined and sorted every ready tenant's slots on each claim (1,000 tenants
-- with one job each: 3,000 rows sorted per claim).
ALTER TABLE queue_tenants ADD COLUMN last_claimed_at timestamptz NOT NULL DEFAULT '-infinity';

UPDATE queue_tenants q SET last_claimed_at = s.last_claimed_at
FROM (SELECT tenant_id, max(last_claimed_at) AS last_claimed_at FROM queue_slots GROUP BY tenant_id) s
WHERE s.tenant_id = q.tenant_id;

CREATE INDEX queue_tenants_turn ON queue_tenants (top_priority DESC, last_claimed_at, tenant_id) WHERE ready_at IS NOT NULL;

-- Every claim updates its tenant's row (an indexed column, so never HOT): vacuum early.
ALTER TABLE queue_tenants SET (autovacuum_vacuum_scale_factor = 0.02);

ALTER TABLE queue_slots DROP COLUMN last_claimed_at;
