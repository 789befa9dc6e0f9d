public import Postgres

/// Reads and writes the sealed secrets of tenants (`tenant_secrets`).
public enum TenantSecrets {
    public enum Kind: String, Sendable {
        case autotaskSecret = "autotask_secret"
        case huntressAPIKey = "huntress_api_key"
    }

    public static func store(_ secret: String, kind: Kind, tenantID: Int64, key: SecretKey, on connection: Connection) async throws {
        try await store(secret, kindName: kind.rawValue, tenantID: tenantID, key: key, on: connection)
    }

    /// `kindName`: a kind of `Kind`, or `notify_destination:ID` (sql/019).
    static func store(_ secret: String, kindName: String, tenantID: Int64, key: SecretKey, on connection: Connection) async throws {
        let sealed = try key.seal(secret, for: SecretBinding(tenantID: tenantID, kind: kindName))
        try await connection.execute("""
            INSERT INTO tenant_secrets (tenant_id, kind, sealed, key_id, bound)
            VALUES (\(tenantID), \(kindName), \(sealed), \(key.id), true)
            ON CONFLICT (tenant_id, kind) DO UPDATE
            SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, bound = true, updated_at = now()
            """, name: "store tenant secret")
    }

    /// The secret opened, or nil when the tenant has none of this kind.
    public static func load(_ kind: Kind, tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> String? {
        try await load(kindName: kind.rawValue, tenantID: tenantID, key: key, on: connection)
    }

    static func load(kindName: String, tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> String? {
        let rows = try await connection.query("""
            SELECT sealed, key_id, bound FROM tenant_secrets WHERE tenant_id = \(tenantID) AND kind = \(kindName)
            """, name: "load tenant secret")
        guard let row = rows.first else { return nil }
        let binding = try row.decode("bound", as: Bool.self) ? SecretBinding(tenantID: tenantID, kind: kindName) : nil
        return try key.open(try row.decode("sealed"), keyID: try row.decode("key_id"), binding: binding)
    }

    /// Binds the secrets sealed before secrets were bound to their tenant,
    /// each with the key it was sealed with (a worker must not move a secret
    /// to a key other workers may lack). Rows under another key, or locked by
    /// a concurrent writer, are left for later. Answers how many it bound.
    @discardableResult
    public static func bindLegacy(key: SecretKey, on connection: Connection) async throws -> Int {
        try await connection.withTransaction { tx in
            let rows = try await tx.query("""
                SELECT tenant_id, kind, sealed, key_id FROM tenant_secrets
                WHERE NOT bound AND key_id = ANY(\(key.ids)::text[])
                ORDER BY tenant_id, kind FOR UPDATE SKIP LOCKED
                """, name: "legacy tenant secrets")
            for row in rows {
                let binding = SecretBinding(tenantID: try row.decode("tenant_id"), kind: try row.decode("kind"))
                let keyID: String = try row.decode("key_id")
                let secret = try key.open(try row.decode("sealed"), keyID: keyID, binding: nil)
                try await tx.execute("""
                    UPDATE tenant_secrets SET sealed = \(try key.seal(secret, keyID: keyID, for: binding)), bound = true
                    WHERE tenant_id = \(binding.tenantID) AND kind = \(binding.kind)
                    """, name: "bind tenant secret")
            }
            return rows.count
        }
    }
}
