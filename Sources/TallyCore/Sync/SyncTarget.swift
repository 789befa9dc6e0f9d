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
    /// The product's name for people (`products.display_name`), e.g. Huntress Managed EDR.
    public var productName: String? = nil
    /// Where the usage came from: huntress, csv, sql or manual.
    public var usageSource: String? = nil
    public var usageIsStale: Bool
    /// Missing from Huntress's list since then (`organizations.removed_at`): its target is 0.
    public var removedFromHuntressAt: Date? = nil
    /// The tenant's other organizations mapped to the same contract (an MSP's client
    /// with two Huntress organizations or sites): the contract service's target is
    /// the sum of their usage of this product and this one's.
    public var sharers: [Sharer] = []

    /// Another organization on the same contract, with its usage of the same product.
    public struct Sharer: Sendable, Hashable, Codable {
        public var organizationID: Int64
        public var name: String
        public var usage: Int?
        public var stale: Bool
        public var removed: Bool

        enum CodingKeys: String, CodingKey {
            case organizationID = "organization_id", name, usage, stale, removed
        }
    }

    /// Reads the targets of these keys in one statement.
    static func load(tenantID: Int64, keys: [Key], on connection: Connection) async throws -> [Key: SyncTarget] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT k.organization_id, k.product, p.display_name AS product_name, o.name, o.company_id, o.contract_id, o.removed_at, m.service_id, u.units, u.observed_at, u.source,
                   coalesce(u.observed_at < now() - t.usage_staleness_limit, false) AS stale, sh.sharers
            FROM unnest(\(keys.map(\.organizationID))::bigint[], \(keys.map(\.product))::text[]) AS k (organization_id, product)
            JOIN tenants t ON t.tenant_id = \(tenantID)
            LEFT JOIN products p ON p.product = k.product
            LEFT JOIN organizations o ON o.tenant_id = t.tenant_id AND o.organization_id = k.organization_id
            LEFT JOIN service_mappings m ON m.tenant_id = t.tenant_id AND m.product = k.product
            LEFT JOIN usage u ON u.tenant_id = t.tenant_id AND u.organization_id = k.organization_id AND u.product = k.product
            LEFT JOIN LATERAL (
                SELECT json_agg(json_build_object(
                           'organization_id', s.organization_id, 'name', s.name, 'usage', su.units,
                           'stale', coalesce(su.observed_at < now() - t.usage_staleness_limit, false),
                           'removed', s.removed_at IS NOT NULL) ORDER BY s.organization_id) AS sharers
                FROM organizations s
                LEFT JOIN usage su ON su.tenant_id = s.tenant_id AND su.organization_id = s.organization_id AND su.product = k.product
                WHERE s.tenant_id = t.tenant_id AND s.contract_id = o.contract_id AND s.organization_id <> k.organization_id
            ) sh ON true
            """, name: "load sync targets")
        var targets: [Key: SyncTarget] = [:]
        for row in rows {
            let key = Key(organizationID: try row.decode("organization_id"), product: try row.decode("product"))
            targets[key] = SyncTarget(
                key: key, organizationName: try row.decode("name"),
                companyID: try row.decode("company_id", as: Int64?.self).map(Int.init),
                contractID: try row.decode("contract_id", as: Int64?.self).map(Int.init),
                serviceID: try row.decode("service_id", as: Int64?.self).map(Int.init),
                usage: try row.decode("units"), usageObservedAt: try row.decode("observed_at"), productName: try row.decode("product_name"), usageSource: try row.decode("source"),
                usageIsStale: try row.decode("stale"), removedFromHuntressAt: try row.decode("removed_at"),
                sharers: try row.decode("sharers", as: JSON<[Sharer]>?.self)?.value ?? [])
        }
        return targets
    }

    /// Whether the sync will need this target's contract from Autotask.
    var needsAutotask: Bool {
        organizationName != nil && contractID != nil && serviceID != nil
            && (removedFromHuntressAt != nil || (usage != nil && !usageIsStale))
    }
}
