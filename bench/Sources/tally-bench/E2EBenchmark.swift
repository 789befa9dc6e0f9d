import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport

/// Sync Now of every tenant of a simulated world, drained by `tally worker`
/// processes against tally-sim: once with no Autotask latency (Tally's own
/// cost) and once with a realistic latency, where the bound is
/// tenants × cap / latency syncs per second (each task waits for one write
/// per sync, and a tenant has at most `cap` tasks).
struct E2EBenchmark {
    struct Options {
        var tenants = 20
        var organizations = 150
        var workers = 3
        var concurrency = 20
        var batch = 50
        var latencies = [0, 150]
        /// `tally worker --queue-statements`; nil keeps the worker's default.
        var queueStatements: Int?
    }

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")
    let cap = 3

    func run() async throws {
        let db = try await Connection.connect(database)
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        let syncs = options.tenants * options.organizations * 2
        print("e2e benchmark: \(options.tenants) tenants × \(options.organizations) organizations × 2 products = \(syncs) syncs, "
              + "each a change; \(options.workers) workers × \(options.concurrency) tasks, batch \(options.batch), cap \(cap)")
        for latency in options.latencies {
            try await round(latency: latency, syncs: syncs, on: db)
        }
    }

    private func round(latency: Int, syncs: Int, on db: Connection) async throws {
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        let world = WorldGenerator(
            seed: 11, databases: options.tenants, companiesPerDatabase: options.organizations, nonRecurringEvery: nil,
            inactiveEvery: nil
        ).generate()
        let simulator = try await SimServer.start(state: SimState(world: world, budgetLatencyMilliseconds: 0))
        defer { Task { await simulator.stop() } }
        let keyText = SecretKey.generate()
        let tenantIDs = try await SimulatedTenants.onboard(
            count: options.tenants, organizations: options.organizations, secretKey: try SecretKey(base64: keyText), on: db)
        try await AdjustmentAudit.makeEverySyncAChange(tenantIDs: tenantIDs, simulator: simulator.state, on: db)
        try await db.execute("UPDATE tenants SET concurrency_cap = \(cap)")
        await simulator.state.setFaults(try FaultSpec(parsing: "latency=\(latency)"))

        let environment = ["TALLY_SECRET_KEY": keyText, "TALLY_AUTOTASK_URL": simulator.lookupURL]
        let workers = try await WorkerProcesses.start(
            options.workers, arguments: ["--concurrency", "\(options.concurrency)", "--batch-size", "\(options.batch)"]
                + (options.queueStatements.map { ["--queue-statements", "\($0)"] } ?? []),
            environment: environment, on: db)
        defer { workers.stop() }
        await simulator.state.resetStatistics()
        let started = ContinuousClock.now
        for tenantID in tenantIDs { _ = try await Runs.syncNow(tenantID: tenantID, on: db) }
        while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: db) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let seconds = (ContinuousClock.now - started).seconds
        let statistics = await simulator.state.statistics()
        let requests = statistics.requests.values.flatMap(\.values).reduce(0, +)
        let writes = statistics.requests.values.compactMap { $0["ContractServiceAdjustments"] }.reduce(0, +)
        let succeeded = try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: db)
        let rate = Double(succeeded) / seconds
        var line = String(format: "latency %3d ms: %d of %d syncs succeeded in %.2f s = %.0f syncs/s; %d Autotask requests (%d writes) = %.3f per sync",
                          latency, succeeded, syncs, seconds, rate, requests, writes, Double(requests) / Double(syncs))
        if latency > 0 {
            let bound = Double(options.tenants * cap) / (Double(latency) / 1000)
            line += String(format: "; bound %.0f syncs/s, ratio %.2f (goal ≥ 0.7)", bound, rate / bound)
            // Since issue 20 each adjustment also posts its audit note: a job of the
            // tenant's own, so a slot's time per sync is two calls, not one.
            var notes = 0
            for database in 1...options.tenants { notes += await simulator.state.notes(database: "db\(database)")?.count ?? 0 }
            let callsPerSync = Double(writes + notes) / Double(syncs)
            line += String(format: "; %d audit notes: bound with them %.0f syncs/s, ratio %.2f", notes, bound / callsPerSync, rate * callsPerSync / bound)
        }
        print(line)

        // The same runs again: nothing changed, so no writes; reads only.
        await simulator.state.resetStatistics()
        let again = ContinuousClock.now
        for tenantID in tenantIDs { _ = try await Runs.syncNow(tenantID: tenantID, on: db) }
        while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: db) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let steadySeconds = (ContinuousClock.now - again).seconds
        let steadyRequests = await simulator.state.statistics().requests.values.flatMap(\.values).reduce(0, +)
        print(String(format: "               steady state (no change): %d syncs in %.2f s = %.0f syncs/s; %d requests = %.3f per sync",
                     syncs, steadySeconds, Double(syncs) / steadySeconds, steadyRequests, Double(steadyRequests) / Double(syncs)))
    }
}
