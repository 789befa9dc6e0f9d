public import Postgres

public enum SecretRekey {
    public struct Report: Sendable, Equatable {
        /// Secrets opened with an old key and sealed with the new one (bound to their tenant).
        public var resealed: Int
        /// Secrets already under the new key and bound.
        public var alreadyCurrent: Int
    }

    /// Opens every secret not yet under `new`'s sealing key (or not bound)
    /// with `old` and seals it with `new`, in one transaction: if one does not
    /// open, none is changed. The table is locked against writes meanwhile
    /// (workers still read it), so a credential written during the rekey
    /// waits and lands after it, under the key its writer holds.
    public static func rekey(from old: SecretKey, to new: SecretKey, on connection: Connection) async throws -> Report {
        try await connection.withTransaction { tx in
            try await tx.execute("LOCK TABLE tenant_secrets IN EXCLUSIVE MODE", name: "lock tenant secrets for rekey")
            let rows = try await tx.query("""
                SELECT tenant_id, kind, sealed, key_id, bound FROM tenant_secrets ORDER BY tenant_id, kind
                """, name: "tenant secrets to rekey")
            var report = Report(resealed: 0, alreadyCurrent: 0)
            for row in rows {
                let keyID: String = try row.decode("key_id")
                let binding = SecretBinding(tenantID: try row.decode("tenant_id"), kind: try row.decode("kind"))
                let bound: Bool = try row.decode("bound")
                if keyID == new.id && bound {
                    report.alreadyCurrent += 1
                    continue
                }
                let opener = keyID == new.id ? new : old
                let secret = try opener.open(try row.decode("sealed"), keyID: keyID, binding: bound ? binding : nil)
                try await tx.execute("""
                    UPDATE tenant_secrets SET sealed = \(try new.seal(secret, for: binding)), key_id = \(new.id), bound = true,
                                              updated_at = now()
                    WHERE tenant_id = \(binding.tenantID) AND kind = \(binding.kind)
                    """, name: "reseal tenant secret")
                report.resealed += 1
            }
            return report
        }
    }
}
