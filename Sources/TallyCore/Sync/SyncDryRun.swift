import Postgres

/// `tally sync --dry-run`: the plan of a Sync Now, made by the planner the
/// jobs use, with nothing written to Autotask or to the queue.
public enum SyncDryRun {
    public struct Row: Sendable, Equatable {
        public var key: SyncTarget.Key
        public var organizationName: String?
        public var plan: SyncPlan
    }

    public static func plan(
        tenantID: Int64, organizationID: Int64? = nil, product: String? = nil, services: SyncServices
    ) async throws -> [Row] {
        let keys = try await services.pool.withConnection { connection in
            try await connection.query("""
                SELECT organization_id, product
                FROM (\(fragment: Runs.targets(tenantsIn: "\(tenantID)", organizationID: organizationID, product: product))) AS t
                ORDER BY organization_id, product
                """, name: "dry run targets").map {
                SyncTarget.Key(organizationID: try $0.decode("organization_id"), product: try $0.decode("product"))
            }
        }
        let batch = try await SyncBatch.prepare(tenantID: tenantID, keys: keys, services: services)
        return keys.map { Row(key: $0, organizationName: batch.targets[$0]?.organizationName, plan: batch.plan($0)) }
    }
}
