public import Postgres

/// `tally tenant huntress`: a tenant's Huntress key pair and its choice of counts.
public enum HuntressSetup {
    public enum Counts: String, Sendable, CaseIterable {
        /// Huntress's billable counts (an organization's detail where the list has none).
        case billable
        /// The list's counts: fewer requests, but EDR's counts every agent.
        case list
    }

    /// Stores what is given, in one transaction; nothing when the tenant does not exist.
    public static func configure(
        tenantID: Int64, keyPair: String?, counts: Counts?, key: SecretKey, on connection: Connection
    ) async throws {
        let credentials = try keyPair.map(HuntressKey.parse)
        try await connection.withTransaction { tx in
            if let credentials { try await HuntressKey.store(credentials, tenantID: tenantID, key: key, on: tx) }
            if let counts {
                try await tx.execute("""
                    UPDATE tenants SET huntress_counts = \(counts.rawValue), updated_at = now() WHERE tenant_id = \(tenantID)
                    """, name: "huntress counts")
            }
        }
    }
}
