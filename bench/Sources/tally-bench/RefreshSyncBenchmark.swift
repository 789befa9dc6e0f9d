import Foundation
import Huntress
import Postgres
import TallyCore
import TallySim
import TestSupport

/// The whole of a run for tenants connected to Huntress (issue 16): Sync Now
/// of `tenants` tenants × `organizations` mapped organizations × 2 products,
/// each run refreshing usage from the simulated Huntress (billable counts:
/// one detail read per organization, the limit lifted) and then syncing
/// every pair, each a change, to the simulated Autotask.
struct RefreshSyncBenchmark {
    var tenants = 20
    var organizations = 300
    var workers = 4
    var concurrency = 8
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")

    func run() async throws {
        let db = try await Connection.connect(database)
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        let pairs = organizations * 2
        let syncs = tenants * pairs
        print("refresh then sync: \(tenants) tenants × \(pairs) pairs (\(organizations) organizations × 2 products), each a change; "
              + "\(workers) workers × \(concurrency) tasks")
        let world = WorldGenerator(seed: 23, databases: tenants, companiesPerDatabase: organizations, nonRecurringEvery: nil, inactiveEvery: nil)
            .generate()
        let simulator = try await SimServer.start(state: SimState(world: world, budgetLatencyMilliseconds: 0))
        defer { Task { await simulator.stop() } }
        let keyText = SecretKey.generate()
        let key = try SecretKey(base64: keyText)
        let tenantIDs = try await SimulatedTenants.onboard(
            count: tenants, organizations: organizations, distinctOrganizationIDs: true, secretKey: key, on: db)

        let environment = [
            "TALLY_SECRET_KEY": keyText, "TALLY_AUTOTASK_URL": simulator.lookupURL, "TALLY_HUNTRESS_URL": simulator.huntressURL,
        ]
        let launched = try await WorkerProcesses.start(
            workers, arguments: ["--concurrency", "\(concurrency)", "--huntress-limit", "1000000/1"], environment: environment, on: db)
        defer { launched.stop() }
        // The baseline, measured in the same run: the same syncs with usage already in Tally (no refresh).
        for (index, tenantID) in tenantIDs.enumerated() {
            let account = try await huntressAccount(tenant: index + 1, simulator: simulator.state)
            try await db.execute("""
                UPDATE usage u SET units = CASE u.product WHEN 'edr' THEN n.edr ELSE n.m365 END
                FROM unnest(\(account.organizations.map { Int64($0.id) })::bigint[], \(account.organizations.map(\.billableAgentsCount))::int[],
                            \(account.organizations.map(\.billableIdentityCount))::int[]) AS n (organization_id, edr, m365)
                WHERE u.tenant_id = \(tenantID) AND u.organization_id = n.organization_id
                """, name: "usage one above the contracts")
        }
        let baseline = try await pass(tenantIDs: tenantIDs, refresh: false, simulator: simulator, on: db)
        print(String(format: "sync only (baseline, usage already in Tally): %.1f s, %d of %d pairs adjusted (%.0f syncs/s)",
                     baseline.seconds, baseline.adjusted, syncs, Double(syncs) / baseline.seconds))

        // Huntress now counts one more of everything than the contracts bill.
        var accounts: [SimHuntressAccount] = []
        for (index, tenantID) in tenantIDs.enumerated() {
            let account = try await huntressAccount(tenant: index + 1, simulator: simulator.state)
            try await HuntressKey.store(
                HuntressCredentials(publicKey: account.publicKey, privateKey: account.privateKey), tenantID: tenantID, key: key, on: db)
            accounts.append(account)
        }
        await simulator.state.loadHuntress(SimHuntressWorld(accounts: accounts))
        await simulator.state.setHuntressLimit(requests: nil)
        await simulator.state.resetHuntressStatistics()
        let full = try await pass(tenantIDs: tenantIDs, refresh: true, simulator: simulator, on: db)
        let phases = try await db.query("""
            SELECT extract(epoch FROM max(finished_at) FILTER (WHERE kind = 'usage_refresh') - min(created_at))::float8 AS refreshed
            FROM jobs
            """)[0]
        let huntressRequests = await simulator.state.huntressStatistics().requests.values.reduce(0, +)
        print(String(
            format: "refresh then sync: %.1f s, %d of %d pairs adjusted to Huntress's counts (%.0f syncs/s), ratio %.2f to the baseline; "
                + "the last refresh ended %.1f s after the first run was created; %d Huntress requests (%.0f per tenant), %.2f Autotask requests per sync",
            full.seconds, full.adjusted, syncs, Double(syncs) / full.seconds, baseline.seconds / full.seconds,
            try phases.decode("refreshed", as: Double.self), huntressRequests, Double(huntressRequests) / Double(tenants),
            Double(full.autotaskRequests) / Double(syncs)))
        guard baseline.adjusted == syncs, full.adjusted == syncs else { throw Mismatch(adjusted: min(baseline.adjusted, full.adjusted), expected: syncs) }
    }

    /// Sync Now of every tenant, until every run has ended: seconds, pairs adjusted, Autotask requests.
    private func pass(
        tenantIDs: [Int64], refresh: Bool, simulator: RunningSimulator, on db: Connection
    ) async throws -> (seconds: Double, adjusted: Int, autotaskRequests: Int) {
        try await db.executeScript("DELETE FROM results; DELETE FROM jobs", name: "forget the last pass")
        await simulator.state.resetStatistics()
        let started = ContinuousClock.now
        for tenantID in tenantIDs { _ = try await Runs.syncNow(tenantID: tenantID, refresh: refresh, on: db) }
        while try await Fixtures.count("""
            SELECT count(*)::int AS n FROM runs r
            WHERE r.phase = 'refreshing'
               OR EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.state IN ('queued', 'running'))
            """, on: db) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let seconds = (ContinuousClock.now - started).seconds
        // Audit notes (issue 20) are jobs of no run: the runs end before them,
        // and the next pass's DELETE must not pull them from under the workers.
        while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: db) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let adjusted = try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded' AND reason_code = 'adjusted'", on: db)
        let autotask = await simulator.state.statistics().requests.values.flatMap(\.values).reduce(0, +)
        if adjusted != tenantIDs.count * organizations * 2 {
            let outcomes = try await db.query("""
                SELECT outcome || ' ' || coalesce(reason_code, '') || ': ' || count(*) AS line FROM results GROUP BY outcome, reason_code
                """).map { try $0.decode("line", as: String.self) }
            print("  outcomes: " + outcomes.joined(separator: ", "))
        }
        return (seconds, adjusted, autotask)
    }

    /// Tenant n's Huntress account: its organizations, each counting one more than the contract bills today.
    private func huntressAccount(tenant n: Int, simulator: SimState) async throws -> SimHuntressAccount {
        let base = n * 1_000_000
        var counts: [Int: (edr: Int, m365: Int)] = [:]
        for units in await simulator.units(database: "db\(n)") ?? [] {
            let index = units.contractID - base - 100_000
            var pair = counts[index] ?? (0, 0)
            if units.serviceID == base + 1 { pair.edr = units.units } else { pair.m365 = units.units }
            counts[index] = pair
        }
        let organizations = (1...organizations).map { index in
            let units = counts[index] ?? (0, 0)
            return SimHuntressOrganization(
                id: SimulatedTenants.organizationID(tenant: n, index: index), name: "Customer \(n)-\(index)",
                agentsCount: units.edr + 4, billableAgentsCount: units.edr + 1, billableIdentities: units.m365 + 1)
        }
        return SimHuntressAccount(
            id: n, name: "MSP \(n)", publicKey: "bench-\(n)-public", privateKey: "bench-\(n)-private", organizations: organizations)
    }


    struct Mismatch: Error, CustomStringConvertible {
        var adjusted: Int
        var expected: Int
        var description: String { "\(adjusted) of \(expected) pairs were adjusted: the run did not bill Huntress's counts" }
    }
}
