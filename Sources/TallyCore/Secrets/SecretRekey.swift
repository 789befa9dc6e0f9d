public import Postgres

public enum SecretRekey {
    /// Opens every secret with `old` and seals it with `new`, in one
    /// transaction: if one does not open, none is changed. Answers the count.
    public static func rekey(from old: SecretKey, to new: SecretKey, on connection: Connection) async throws -> Int {
        try await connection.withTransaction { tx in
            let rows = try await tx.query("SELECT tenant_id, kind, sealed, key_id FROM tenant_secrets ORDER BY tenant_id, kind FOR UPDATE")
            for row in rows {
                let keyID: String = try row.decode("key_id")
                if keyID == new.id { continue }
                let secret = try old.open(try row.decode("sealed"), keyID: keyID)
                try await tx.execute("""
                    UPDATE tenant_secrets SET sealed = \(try new.seal(secret)), key_id = \(new.id), updated_at = now()
                    WHERE tenant_id = \(try row.decode("tenant_id", as: Int64.self)) AND kind = \(try row.decode("kind", as: String.self))
                    """)
            }
            return rows.count
        }
    }
}
