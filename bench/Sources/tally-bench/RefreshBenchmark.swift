import Foundation
import Huntress
import Postgres
import TallyCore
import TallySim
import TestSupport

/// Issue 16's refresh benchmark: `--tenants` tenants of `--organizations`
/// Huntress organizations each, refreshed by `--workers` `tally worker`
/// processes against tally-sim's Huntress with its limit lifted (and the
/// workers' permits too), first with the list's counts, then with billable
/// counts for organizations mapped to contracts (one detail read each).
/// Prints requests per tenant and organizations upserted per second.
struct RefreshBenchmark {
    struct Options {
        var tenants = 1_000
        var organizations = 200
        var workers = 4
        var concurrency = 8
        /// 1: list counts only; 2: then billable counts; 3: then a refresh-then-sync run (`RefreshSyncBenchmark`).
        var rounds = 3
    }

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")

    func run() async throws {
        let db = try await Connection.connect(database)
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        if let experiment = ProcessInfo.processInfo.environment["BENCH_EXPERIMENT_SQL"] { try await db.executeScript(experiment, name: "experiment") }
        let organizations = options.tenants * options.organizations
        print("refresh benchmark: \(options.tenants) tenants × \(options.organizations) Huntress organizations = \(organizations); "
              + "\(options.workers) workers × \(options.concurrency) tasks; Huntress's limit lifted")
        let world = HuntressGenerator(seed: 17, accounts: options.tenants, organizationsPerAccount: options.organizations).generate()
        let simulator = try await SimServer.start(state: SimState())
        defer { Task { await simulator.stop() } }
        await simulator.state.loadHuntress(world)
        await simulator.state.setHuntressLimit(requests: nil)

        let keyText = SecretKey.generate()
        let key = try SecretKey(base64: keyText)
        try await db.execute("""
            INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, schedule_kind, huntress_counts)
            SELECT 'refresh-' || g, 'Refresh ' || g, 'api' || g || '@bench.example', 'CODE', 'manual', 'list'
            FROM generate_series(1, \(options.tenants)) g
            """, name: "generate tenants")
        let tenants = try await db.query("SELECT tenant_id FROM tenants ORDER BY tenant_id").map { try $0.decode("tenant_id", as: Int64.self) }
        for (index, tenant) in tenants.enumerated() {
            let account = world.accounts[index]
            try await HuntressKey.store(
                HuntressCredentials(publicKey: account.publicKey, privateKey: account.privateKey), tenantID: tenant, key: key, on: db)
        }

        let environment = ["TALLY_SECRET_KEY": keyText, "TALLY_HUNTRESS_URL": simulator.huntressURL]
        let workers = try await WorkerProcesses.start(
            options.workers, arguments: ["--concurrency", "\(options.concurrency)", "--batch-size", "1", "--huntress-limit", "1000000/1"],
            environment: environment, on: db)
        defer { workers.stop() }

        let cpu = ProcessCPU(workers: workers.pids)
        let statements = await StatementStatistics.prepare(on: db)
        let list = try await round("list counts", tenants: tenants, simulator: simulator, cpu: cpu, statements: statements, on: db)
        print(String(format: "list counts: %.1f s, %.2f requests per tenant (ceil(%d / 500) = %d), %.0f organizations upserted/s (goal ≥ 20,000/s)",
                     list.seconds, list.requestsPerTenant, options.organizations, (options.organizations + 499) / 500,
                     Double(organizations) / list.seconds))

        if options.rounds > 1 { try await billableRound(tenants: tenants, simulator: simulator, cpu: cpu, statements: statements, on: db) }
    }

    private func billableRound(
        tenants: [Int64], simulator: RunningSimulator, cpu: ProcessCPU, statements: StatementStatistics, on db: Connection
    ) async throws {
        // Every organization mapped, billable counts: one detail read per organization with agents.
        try await db.execute("UPDATE organizations SET company_id = 1, contract_id = 1", name: "map every organization")
        try await db.execute("UPDATE tenants SET huntress_counts = 'billable'", name: "billable counts")
        let billable = try await round("billable counts", tenants: tenants, simulator: simulator, cpu: cpu, statements: statements, on: db)
        print(String(format: "billable counts: %.1f s, %.2f requests per tenant (1 + %d details); at Huntress's 60 a minute a tenant needs %.0f min",
                     billable.seconds, billable.requestsPerTenant, options.organizations, billable.requestsPerTenant / 60))
        let usage = try await Fixtures.count("SELECT count(*)::int AS n FROM usage WHERE source = 'huntress'", on: db)
        print("check: \(try await Fixtures.count("SELECT count(*)::int AS n FROM organizations", on: db)) organizations, \(usage) usage rows from Huntress")
    }

    private func round(
        _ name: String, tenants: [Int64], simulator: RunningSimulator, cpu: ProcessCPU, statements: StatementStatistics, on db: Connection
    ) async throws -> (seconds: Double, requestsPerTenant: Double) {
        await simulator.state.resetHuntressStatistics()
        try await statements.reset(on: db)
        let started = ContinuousClock.now
        let before = cpu.split()
        for tenant in tenants { _ = try await UsageRefreshRequests.request(tenantID: tenant, on: db) }
        while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE kind = 'usage_refresh' AND state IN ('queued', 'running')", on: db) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let seconds = (ContinuousClock.now - started).seconds
        print("\(name): \((cpu.split() - before).summary)")
        let top = try await statements.top(on: db)
        if !top.isEmpty { print("\(name), the statements that took PostgreSQL's time:\n\(top)") }
        let failed = try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE kind = 'usage_refresh' AND state <> 'succeeded'", on: db)
        guard failed == 0 else { throw RefreshFailed(count: failed, round: name) }
        let requests = await simulator.state.huntressStatistics().requests.values.reduce(0, +)
        return (seconds, Double(requests) / Double(tenants.count))
    }


    struct RefreshFailed: Error, CustomStringConvertible {
        var count: Int
        var round: String
        var description: String { "\(count) refreshes did not succeed in the \(round) round" }
    }
}
