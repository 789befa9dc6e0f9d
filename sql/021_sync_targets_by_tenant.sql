-- sync_targets as two branches instead of two EXISTS joined by OR:
-- PostgreSQL ran the OR'd subqueries as hashed subplans that read every
-- tenant's service_mappings and usage for one tenant's Sync Now (found by
-- TenantRoutingTests, issue 21). Same rows: an organization with each product
-- its tenant maps, then with each product it has usage of that is not
-- mapped. UNION ALL of disjoint branches, not UNION: PostgreSQL flattens it,
-- so a tenant filter or join reaches each branch's indexes, with no dedup.
CREATE OR REPLACE VIEW sync_targets AS
SELECT o.tenant_id, o.organization_id, m.product
FROM organizations o JOIN service_mappings m ON m.tenant_id = o.tenant_id
UNION ALL
SELECT o.tenant_id, o.organization_id, u.product
FROM organizations o JOIN usage u ON u.tenant_id = o.tenant_id AND u.organization_id = o.organization_id
WHERE NOT EXISTS (SELECT 1 FROM service_mappings m WHERE m.tenant_id = u.tenant_id AND m.product = u.product);
