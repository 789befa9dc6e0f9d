-- What each run changed in Autotask (issue 20: `tally runs`, `tally status
-- TENANT --changes`): one row per adjustment posted, with its organization,
-- product, units before and after and the contract service. Read through
-- results_by_run. Shapes: WHERE tenant_id = X AND run_id = Y;
-- WHERE tenant_id = X AND run_id = ANY (…) grouped by run.
CREATE VIEW dashboard.run_changes AS
SELECT r.tenant_id, t.slug AS tenant_slug, r.run_id, r.organization_id, o.name AS organization_name,
       r.product, p.display_name AS product_name, p.unit_name, r.contract_id, r.service_id,
       r.units_before, r.units_after, r.units_after - r.units_before AS change,
       r.adjustment_id, r.job_id, r.finished_at
FROM results r
JOIN tenants t ON t.tenant_id = r.tenant_id
JOIN organizations o ON o.tenant_id = r.tenant_id AND o.organization_id = r.organization_id
JOIN products p ON p.product = r.product
WHERE r.adjustment_id IS NOT NULL;

GRANT SELECT ON dashboard.run_changes TO tally_dashboard;
