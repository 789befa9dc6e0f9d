public import Foundation
public import Postgres

/// `tally usage list`: what a tenant's usage is, where it came from and how old it is.
public enum UsageListing {
    public struct Row: Codable, Sendable, Equatable {
        public var organizationID: Int64
        public var organizationName: String
        public var product: String
        public var units: Int
        public var source: String
        public var observedAt: Date
        /// Missing from Huntress's list since then: its target is 0, held for approval.
        public var removedFromHuntressAt: Date?
    }

    public static func list(tenantID: Int64, on connection: Connection) async throws -> [Row] {
        try await connection.query("""
            SELECT u.organization_id, o.name, u.product, u.units, u.source, u.observed_at, o.removed_at
            FROM usage u JOIN organizations o USING (tenant_id, organization_id)
            WHERE u.tenant_id = \(tenantID)
            ORDER BY o.name, u.organization_id, u.product
            """, name: "list usage").map {
            Row(organizationID: try $0.decode("organization_id"), organizationName: try $0.decode("name"),
                product: try $0.decode("product"), units: try $0.decode("units"), source: try $0.decode("source"),
                observedAt: try $0.decode("observed_at"), removedFromHuntressAt: try $0.decode("removed_at"))
        }
    }
}
