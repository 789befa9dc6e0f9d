public import Postgres
public import TallySim

/// Whether a simulated world's contracts ended where Tally's usage says,
/// with at most one adjustment per needed change: the "lost" and "doubled"
/// counts of the chaos tests and `tally-bench chaos`. Tenants are those of
/// `SimulatedTenants.onboard` (tenant index i ↔ database db(i+1)).
public struct AdjustmentAudit: Sendable, CustomStringConvertible {
    /// Contract services (organization × product) compared.
    public var checked = 0
    /// Contract services whose units differ from usage: a change lost.
    public var lost = 0
    /// Adjustments beyond one per contract service that needed a change.
    public var doubled = 0
    /// Adjustments Tally posted.
    public var posted = 0
    /// Up to ten differences, for a failure message.
    public var examples: [String] = []

    public var description: String {
        "checked \(checked), posted \(posted), lost = \(lost), doubled = \(doubled)"
            + (examples.isEmpty ? "" : "; e.g. " + examples.joined(separator: "; "))
    }

    /// Contract services ("db:contract:service") whose units differ from usage now: the changes a run must make.
    public static func neededChanges(tenantIDs: [Int64], simulator: SimState, on connection: Connection) async throws -> Set<String> {
        var needed: Set<String> = []
        try await compare(tenantIDs: tenantIDs, simulator: simulator, on: connection) { key, actual, expected in
            if actual != expected { needed.insert(key) }
        }
        return needed
    }

    /// Compares every contract service with usage, and Tally's adjustments with `needed`.
    public static func audit(
        tenantIDs: [Int64], needed: Set<String>, simulator: SimState, on connection: Connection
    ) async throws -> AdjustmentAudit {
        var audit = AdjustmentAudit()
        try await compare(tenantIDs: tenantIDs, simulator: simulator, on: connection) { key, actual, expected in
            audit.checked += 1
            if actual != expected {
                audit.lost += 1
                if audit.examples.count < 10 { audit.examples.append("\(key): \(actual.map(String.init) ?? "none") ≠ \(expected)") }
            }
        }
        for n in tenantIDs.indices.map({ $0 + 1 }) {
            let posted = (await simulator.adjustments(database: "db\(n)") ?? []).filter { $0.postedBy != "seed" }
            audit.posted += posted.count
            for (service, adjustments) in Dictionary(grouping: posted, by: { "db\(n):\($0.contractID):\($0.serviceID)" }) {
                let extra = adjustments.count - (needed.contains(service) ? 1 : 0)
                if extra > 0 {
                    audit.doubled += extra
                    if audit.examples.count < 10 { audit.examples.append("\(service): \(adjustments.count) adjustments") }
                }
            }
        }
        return audit
    }

    /// Calls `visit(key, unitsInForce, usage)` for every usage row of the tenants.
    private static func compare(
        tenantIDs: [Int64], simulator: SimState, on connection: Connection, _ visit: (String, Int?, Int) -> Void
    ) async throws {
        for (index, tenantID) in tenantIDs.enumerated() {
            let n = index + 1, base = n * 1_000_000
            let units = await simulator.units(database: "db\(n)") ?? []
            let inForce = Dictionary(units.map { ("\($0.contractID):\($0.serviceID)", $0.units) }, uniquingKeysWith: { a, _ in a })
            let rows = try await connection.query("""
                SELECT o.contract_id, CASE u.product WHEN 'edr' THEN 1 ELSE 2 END AS service, u.units
                FROM usage u JOIN organizations o USING (tenant_id, organization_id) WHERE u.tenant_id = \(tenantID)
                """)
            for row in rows {
                let contract: Int64 = try row.decode("contract_id")
                let service = base + (try row.decode("service", as: Int.self))
                let key = "\(contract):\(service)"
                visit("db\(n):\(key)", inForce[key], try row.decode("units"))
            }
        }
    }

    /// Sets usage one above the units each contract service holds, so that every sync writes once.
    public static func makeEverySyncAChange(tenantIDs: [Int64], simulator: SimState, on connection: Connection) async throws {
        for (index, tenantID) in tenantIDs.enumerated() {
            let base = (index + 1) * 1_000_000
            let units = await simulator.units(database: "db\(index + 1)") ?? []
            let organizations = units.map { Int64($0.contractID - base - 100_000) }
            let products = units.map { $0.serviceID == base + 1 ? "edr" : "m365" }
            try await connection.execute("""
                UPDATE usage u SET units = n.units + 1
                FROM unnest(\(organizations)::bigint[], \(products)::text[], \(units.map(\.units))::int[]) AS n (organization_id, product, units)
                WHERE u.tenant_id = \(tenantID) AND u.organization_id = n.organization_id AND u.product = n.product
                """)
        }
    }
}
