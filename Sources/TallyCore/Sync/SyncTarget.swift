public import Foundation
import Postgres

/// One organization and product to sync, with what Tally's database says of it.
public struct SyncTarget: Sendable, Hashable {
    public struct Key: Sendable, Hashable {
        public var organizationID: Int64
        public var product: String

        public init(organizationID: Int64, product: String) {
            self.organizationID = organizationID
            self.product = product
        }
    }

    public var key: Key
    /// nil: the organization was removed.
    public var organizationName: String?
    public var companyID: Int?
    public var contractID: Int?
    public var serviceID: Int?
    public var usage: Int?
    public var usageObservedAt: Date?
    public var usageIsStale: Bool
    /// Missing from Huntress's list since then (`organizations.removed_at`): its target is 0.
    public var removedFromHuntressAt: Date? = nil

    /// Reads the targets of these keys in one statement.
    static func load(tenantID: Int64, keys: [Key], on connection: Connection) async throws -> [Key: SyncTarget] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT k.organization_id, k.product, o.name, o.company_id, o.contract_id, o.removed_at, m.service_id, u.units, u.observed_at,
                   coalesce(u.observed_at < now() - t.usage_staleness_limit, false) AS stale
            FROM unnest(\(keys.map(\.organizationID))::bigint[], \(keys.map(\.product))::text[]) AS k (organization_id, product)
            JOIN tenants t ON t.tenant_id = \(tenantID)
            LEFT JOIN organizations o ON o.tenant_id = t.tenant_id AND o.organization_id = k.organization_id
            LEFT JOIN service_mappings m ON m.tenant_id = t.tenant_id AND m.product = k.product
            LEFT JOIN usage u ON u.tenant_id = t.tenant_id AND u.organization_id = k.organization_id AND u.product = k.product
            """, name: "load sync targets")
        var targets: [Key: SyncTarget] = [:]
        for row in rows {
            let key = Key(organizationID: try row.decode("organization_id"), product: try row.decode("product"))
            targets[key] = SyncTarget(
                key: key, organizationName: try row.decode("name"),
                companyID: try row.decode("company_id", as: Int64?.self).map(Int.init),
                contractID: try row.decode("contract_id", as: Int64?.self).map(Int.init),
                serviceID: try row.decode("service_id", as: Int64?.self).map(Int.init),
                usage: try row.decode("units"), usageObservedAt: try row.decode("observed_at"),
                usageIsStale: try row.decode("stale"), removedFromHuntressAt: try row.decode("removed_at"))
        }
        return targets
    }

    /// Whether the sync will need this target's contract from Autotask.
    var needsAutotask: Bool {
        organizationName != nil && contractID != nil && serviceID != nil
            && (removedFromHuntressAt != nil || (usage != nil && !usageIsStale))
    }
}
