public import Postgres

/// Reads and writes the sealed secrets of tenants (`tenant_secrets`).
public enum TenantSecrets {
    public enum Kind: String, Sendable {
        case autotaskSecret = "autotask_secret"
        case huntressAPIKey = "huntress_api_key"
    }

    public static func store(_ secret: String, kind: Kind, tenantID: Int64, key: SecretKey, on connection: Connection) async throws {
        let sealed = try key.seal(secret)
        try await connection.execute("""
            INSERT INTO tenant_secrets (tenant_id, kind, sealed, key_id) VALUES (\(tenantID), \(kind.rawValue), \(sealed), \(key.id))
            ON CONFLICT (tenant_id, kind) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, updated_at = now()
            """, name: "store tenant secret")
    }

    /// The secret opened, or nil when the tenant has none of this kind.
    public static func load(_ kind: Kind, tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> String? {
        let rows = try await connection.query("""
            SELECT sealed, key_id FROM tenant_secrets WHERE tenant_id = \(tenantID) AND kind = \(kind.rawValue)
            """, name: "load tenant secret")
        guard let row = rows.first else { return nil }
        return try key.open(try row.decode("sealed"), keyID: try row.decode("key_id"))
    }
}
