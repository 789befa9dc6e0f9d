public import Postgres

/// Writes usage: all rows in one statement, organizations created (or
/// renamed) as needed.
public enum UsageStore {
    /// Answers the number of rows written.
    @discardableResult
    public static func write(_ rows: [UsageRow], tenantID: Int64, source: String, on connection: Connection) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let missing = try await connection.query("""
            SELECT DISTINCT n.organization_id FROM unnest(\(rows.map(\.organizationID))::bigint[], \(rows.map(\.organizationName))::text[])
                 AS n (organization_id, name)
            WHERE n.name IS NULL
              AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.tenant_id = \(tenantID) AND o.organization_id = n.organization_id)
            ORDER BY 1 LIMIT 5
            """, name: "usage organizations without a name").map { try $0.decode("organization_id", as: Int64.self) }
        if !missing.isEmpty {
            throw InputError("organizations \(missing.map(String.init).joined(separator: ", ")) are new to this tenant: give their names (organization_name column, or --name)")
        }
        return try await connection.withTransaction { tx in
            try await tx.execute("""
                INSERT INTO organizations (tenant_id, organization_id, name)
                SELECT DISTINCT ON (organization_id) \(tenantID), organization_id, name
                FROM unnest(\(rows.map(\.organizationID))::bigint[], \(rows.map(\.organizationName))::text[]) AS n (organization_id, name)
                WHERE name IS NOT NULL
                ORDER BY organization_id
                ON CONFLICT (tenant_id, organization_id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
                """, name: "usage organizations")
            return try await writeObservations(rows, tenantID: tenantID, source: source, on: tx)
        }
    }

    /// Usage rows of existing organizations; a row without `observedAt` is
    /// dated now (an import: the time of the import). An observation older
    /// than the one stored is not written: answers how many were.
    static func writeObservations(_ rows: [UsageRow], tenantID: Int64, source: String, on connection: Connection) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try await connection.execute("""
            INSERT INTO usage (tenant_id, organization_id, product, units, source, observed_at)
            SELECT \(tenantID), organization_id, product, units, \(source), coalesce(observed_at, now())
            FROM unnest(\(rows.map(\.organizationID))::bigint[], \(rows.map(\.product))::text[], \(rows.map(\.units))::int[],
                        \(rows.map(\.observedAt))::timestamptz[]) AS n (organization_id, product, units, observed_at)
            ORDER BY organization_id, product
            ON CONFLICT (tenant_id, organization_id, product) DO UPDATE
            SET units = EXCLUDED.units, source = EXCLUDED.source, observed_at = EXCLUDED.observed_at, recorded_at = now()
            WHERE usage.observed_at <= EXCLUDED.observed_at
            """, name: "write usage", prepared: true)
    }

    public static func products(on connection: Connection) async throws -> Set<String> {
        Set(try await connection.query("SELECT product FROM products").map { try $0.decode("product", as: String.self) })
    }
}
