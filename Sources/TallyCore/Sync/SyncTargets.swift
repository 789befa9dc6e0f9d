import Postgres
import TallyQueue

/// Which (organization, product) pairs a run syncs, defined once for Sync
/// Now, the scheduler's tick and the dry run: the rows of `sync_targets`
/// (sql/003) of some tenants, optionally one organization and/or product.
enum SyncTargets {
    /// `tenant_id, organization_id, product` of the tenants `tenants` yields
    /// (a list or a subquery, used as `tenant_id IN (…)`).
    static func select(tenantsIn tenants: SQL, organizationID: Int64? = nil, product: String? = nil) -> SQL {
        var statement: SQL = """
            SELECT s.tenant_id, s.organization_id, s.product FROM sync_targets s
            WHERE s.tenant_id IN (\(fragment: tenants))
            """
        if let organizationID { statement = "\(fragment: statement) AND s.organization_id = \(organizationID)" }
        if let product { statement = "\(fragment: statement) AND s.product = \(product)" }
        return statement
    }

    /// The sync jobs of new runs, one per target of the run's tenant, as a
    /// data-modifying CTE (`JobQueue.insert`): `runs` and `targets` name
    /// relations of the statement with `tenant_id, run_id` and the columns of
    /// `select`. `inOrder`: job ids follow organization and product, so a
    /// run's jobs are claimed in that order (a Sync Now; the tick skips the sort).
    static func jobs(runs: String, targets: String, priority: Int, inOrder: Bool = false) -> SQL {
        let order: SQL = inOrder ? "ORDER BY t.tenant_id, t.organization_id, t.product" : ""
        return JobQueue.insert(SyncKind.self, arguments: [.organizationID, .product], from: """
            SELECT t.tenant_id, r.run_id, tally_sync_job_key(r.run_id, t.organization_id, t.product) AS unique_key,
                   \(unescaped: String(priority))::smallint AS priority, t.organization_id, t.product
            FROM \(identifier: runs) r JOIN \(identifier: targets) t ON t.tenant_id = r.tenant_id
            \(fragment: order)
            """)
    }
}
