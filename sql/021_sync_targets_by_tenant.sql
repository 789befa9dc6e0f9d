-- sync_targets as a union of its two sources instead of two EXISTS joined by
-- OR: PostgreSQL ran the OR'd subqueries as hashed subplans that read every
-- tenant's service_mappings and usage for one tenant's Sync Now (found by
-- TenantRoutingTests, issue 21). Same rows: an organization with a product
-- its tenant maps, or one it has usage of.
CREATE OR REPLACE VIEW sync_targets AS
SELECT o.tenant_id, o.organization_id, m.product
FROM organizations o JOIN service_mappings m ON m.tenant_id = o.tenant_id
UNION
SELECT o.tenant_id, o.organization_id, u.product
FROM organizations o JOIN usage u ON u.tenant_id = o.tenant_id AND u.organization_id = o.organization_id;
