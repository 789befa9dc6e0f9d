public import Foundation
public import Postgres
public import TallyCore
public import TallySim


/// A simulator world of `tenants` Autotask databases with `organizations`
/// companies each, the same tenants onboarded in Tally (secrets sealed with
/// a test key, both products mapped, every organization mapped to its
/// contract), and usage for every organization and product. The guard rails
/// are off (drops up to 100 %); tests of the guard rails set them.
public struct SyncFixture {
    public static let secretKeyText = SecretKey.generate()
    public static var secretKey: SecretKey { try! SecretKey(base64: secretKeyText) }

    public let simulator: RunningSimulator
    public let configuration: ConnectionConfiguration
    public let connection: Connection
    /// Tenant ids in database order (tenant i ↔ simulator database db(i+1)).
    public let tenantIDs: [Int64]
    public let organizations: Int

    public init(
        simulator: RunningSimulator, configuration: ConnectionConfiguration, connection: Connection, tenantIDs: [Int64],
        organizations: Int
    ) {
        self.simulator = simulator
        self.configuration = configuration
        self.connection = connection
        self.tenantIDs = tenantIDs
        self.organizations = organizations
    }

    public var workerEnvironment: [String: String] {
        // A short Autotask timeout: a write left unanswered settles in twice this.
        ["TALLY_SECRET_KEY": Self.secretKeyText, "TALLY_AUTOTASK_URL": simulator.lookupURL,
         "TALLY_HUNTRESS_URL": simulator.huntressURL, "TALLY_AUTOTASK_TIMEOUT_SECONDS": "3"]
    }

    public static func with<Result>(
        tenants: Int, organizations: Int, world: ((inout SimWorld) -> Void)? = nil, server: ConnectionConfiguration? = nil,
        _ body: (SyncFixture) async throws -> Result
    ) async throws -> Result {
        var generated = WorldGenerator(
            seed: 7, databases: tenants, companiesPerDatabase: organizations, nonRecurringEvery: nil, inactiveEvery: nil
        ).generate()
        world?(&generated)
        let simulator = try await SimServer.start(state: SimState(world: generated, budgetLatencyMilliseconds: 0))
        do {
            let result = try await Fixtures.withMigratedDatabase(server: server) { configuration, connection in
                let ids = try await SimulatedTenants.onboard(count: tenants, organizations: organizations, secretKey: secretKey, on: connection)
                return try await body(SyncFixture(
                    simulator: simulator, configuration: configuration, connection: connection, tenantIDs: ids,
                    organizations: organizations))
            }
            await simulator.stop()
            return result
        } catch {
            await simulator.stop()
            throw error
        }
    }

    /// Makes every sync of the fixture's tenants a change and sets Autotask's
    /// `faults` (none when nil); answers the changes needed, for `AdjustmentAudit`.
    public func makeEverySyncAChange(faults: String? = nil) async throws -> Set<String> {
        let state = simulator.state
        try await AdjustmentAudit.makeEverySyncAChange(tenantIDs: tenantIDs, simulator: state, on: connection)
        let needed = try await AdjustmentAudit.neededChanges(tenantIDs: tenantIDs, simulator: state, on: connection)
        if let faults { await state.setFaults(try FaultSpec(parsing: faults)) }
        return needed
    }

    public func startWorkers(
        _ count: Int, arguments: [String] = ["--concurrency", "4", "--retry-base-seconds", "0.2"],
        executable: URL = Fixtures.tallyExecutable
    ) throws -> [WorkerProcess] {
        try (0..<count).map { _ in
            try WorkerProcess(configuration, arguments: arguments, environment: workerEnvironment, executable: executable)
        }
    }

    /// Sync Now for every tenant; answers the runs.
    public func syncNowAll() async throws -> [(tenantID: Int64, runID: Int64)] {
        var runs: [(Int64, Int64)] = []
        for id in tenantIDs {
            runs.append((id, try await Runs.syncNow(tenantID: id, on: connection).runID))
        }
        return runs
    }

    /// Waits until no job is queued or running.
    public func waitForQuietQueue(timeout: Duration = .seconds(120)) async throws -> Bool {
        try await Fixtures.waitFor(
            "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", toBe: 0, on: connection, timeout: timeout)
    }

    /// (tenant, organization, product) whose Autotask units differ from usage, as text.
    public func mismatches() async throws -> [String] {
        var wrong: [String] = []
        for (index, tenantID) in tenantIDs.enumerated() {
            let n = index + 1, base = n * 1_000_000
            let units = await simulator.state.units(database: "db\(n)") ?? []
            let inForce = Dictionary(units.map { ("\($0.contractID):\($0.serviceID)", $0.units) }, uniquingKeysWith: { a, _ in a })
            let usage = try await connection.query("""
                SELECT o.contract_id, CASE u.product WHEN 'edr' THEN 1 ELSE 2 END AS service, u.units, u.organization_id, u.product
                FROM usage u JOIN organizations o USING (tenant_id, organization_id) WHERE u.tenant_id = \(tenantID)
                """)
            for row in usage {
                let contract: Int64 = try row.decode("contract_id")
                let service: Int = try row.decode("service")
                let expected: Int = try row.decode("units")
                let actual = inForce["\(contract):\(base + service)"]
                if actual != expected {
                    wrong.append("tenant \(tenantID) org \(try row.decode("organization_id", as: Int64.self)) \(try row.decode("product", as: String.self)): \(actual.map(String.init) ?? "none") ≠ \(expected)")
                }
            }
        }
        return wrong
    }

    /// Adjustments Tally posted (the seed's are posted by "seed").
    public func tallyAdjustments() async -> [SimAdjustment] {
        var all: [SimAdjustment] = []
        for n in 1...tenantIDs.count {
            all += (await simulator.state.adjustments(database: "db\(n)") ?? []).filter { $0.postedBy != "seed" }
        }
        return all
    }
}
