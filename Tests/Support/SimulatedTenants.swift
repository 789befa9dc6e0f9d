public import Postgres
public import TallyCore

/// Tenants onboarded in Tally to match a `WorldGenerator` world of tally-sim
/// (tenant n ↔ database dbn): secrets sealed with `secretKey`, both products
/// mapped, every organization mapped to its contract, usage for every
/// organization and product (1–64 units, observed now). Guard rails are off
/// (drops up to 100 %). For tests and benchmarks.
public enum SimulatedTenants {
    /// Database n of the generated world has companies base+1000+c, contracts base+100000+c, services base+1 (EDR), base+2 (M365).
    /// Tenant n's organizations are 1…`organizations`, or with `distinctOrganizationIDs` n × 100,000 + c (ids unique across
    /// tenants, as Huntress's are: `organizationID(tenant:index:)`).
    public static func onboard(
        count tenants: Int, organizations: Int, distinctOrganizationIDs: Bool = false, secretKey: SecretKey, on connection: Connection
    ) async throws -> [Int64] {
        var ids: [Int64] = []
        for n in 1...tenants {
            let base = n * 1_000_000
            let offset = distinctOrganizationIDs ? organizationID(tenant: n, index: 0) : 0
            let id: Int64 = try await connection.query("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, schedule_kind, guard_max_drop_percent)
                VALUES (\("msp-\(n)"), \("MSP \(n)"), \("api@db\(n).example"), \("IC-db\(n)"), 'manual', 100)
                RETURNING tenant_id
                """)[0].decode("tenant_id")
            try await TenantSecrets.store("secret-db\(n)", kind: .autotaskSecret, tenantID: id, key: secretKey, on: connection)
            try await connection.execute("""
                INSERT INTO service_mappings (tenant_id, product, service_id) VALUES (\(id), 'edr', \(base + 1)), (\(id), 'm365', \(base + 2))
                """)
            try await connection.execute("""
                INSERT INTO organizations (tenant_id, organization_id, name, company_id, contract_id)
                SELECT \(id), \(offset) + c, 'Customer ' || \(n) || '-' || c, \(base + 1000) + c, \(base + 100_000) + c
                FROM generate_series(1, \(organizations)) AS c
                """)
            try await connection.execute("""
                INSERT INTO usage (tenant_id, organization_id, product, units, source, observed_at)
                SELECT \(id), \(offset) + c, p, (hashtext(\(n) || ':' || c || p) & 63) + 1, 'manual', now()
                FROM generate_series(1, \(organizations)) AS c, unnest(ARRAY['edr', 'm365']) AS p
                """)
            ids.append(id)
        }
        return ids
    }

    /// Organization `index` (1-based) of tenant `tenant` (1-based) when ids are distinct across tenants.
    public static func organizationID(tenant: Int, index: Int) -> Int { tenant * 100_000 + index }

}
