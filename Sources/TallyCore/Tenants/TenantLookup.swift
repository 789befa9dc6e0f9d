public import Postgres

/// A tenant named on the command line (by slug) that does not exist.
public struct TenantNotFound: Error, Sendable, CustomStringConvertible {
    public var slug: String
    public var description: String { "no tenant is named \(slug): `tally tenant list` shows the tenants" }
}

public enum TenantLookup {
    /// The id of the tenant with this slug.
    public static func id(slug: String, on connection: Connection) async throws -> Int64 {
        let rows = try await connection.query("SELECT tenant_id FROM tenants WHERE slug = \(slug)", name: "find tenant")
        guard let row = rows.first else { throw TenantNotFound(slug: slug) }
        return try row.decode("tenant_id")
    }
}
