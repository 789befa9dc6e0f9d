import Foundation
import Postgres
import TallyCore
import TallyQueue
import TallySim
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// One chaos scenario's world: fresh tenants onboarded against a fresh
/// simulator (every sync a change), and `tally worker` processes that can be
/// killed, replaced and supervised. Worker output goes to a log file.
final class ChaosCluster {
    let database: ConnectionConfiguration
    var db: Connection
    let simulator: RunningSimulator
    let tenantIDs: [Int64]
    let environment: [String: String]
    let workerArguments: [String]
    /// `tally worker`, or `tally-bench worker` (which also runs the test-only `crash` kind).
    var workerProgram = "tally"
    var workers: [Process] = []
    let log: FileHandle
    let logPath: String
    /// Contract services the run must change (all of them).
    var needed: Set<String> = []

    static func start(
        tenants: Int, organizations: Int, workers count: Int, workerArguments: [String], database: ConnectionConfiguration,
        workerProgram: String = "tally", on db: Connection
    ) async throws -> ChaosCluster {
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        let world = WorldGenerator(
            seed: 13, databases: tenants, companiesPerDatabase: organizations, nonRecurringEvery: nil, inactiveEvery: nil
        ).generate()
        let simulator = try await SimServer.start(state: SimState(world: world, budgetLatencyMilliseconds: 0))
        let keyText = SecretKey.generate()
        let tenantIDs = try await SimulatedTenants.onboard(
            count: tenants, organizations: organizations, secretKey: try SecretKey(base64: keyText), on: db)
        try await AdjustmentAudit.makeEverySyncAChange(tenantIDs: tenantIDs, simulator: simulator.state, on: db)
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("tally-chaos-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let cluster = ChaosCluster(
            database: database, db: db, simulator: simulator, tenantIDs: tenantIDs,
            // A 5 s Autotask timeout: an unanswered write settles in 10 s (60 s and 2 minutes by default).
            environment: ["TALLY_SECRET_KEY": keyText, "TALLY_AUTOTASK_URL": simulator.lookupURL, "TALLY_AUTOTASK_TIMEOUT_SECONDS": "5"],
            workerArguments: workerArguments, log: try FileHandle(forWritingTo: URL(fileURLWithPath: logPath)), logPath: logPath)
        cluster.needed = try await AdjustmentAudit.neededChanges(tenantIDs: tenantIDs, simulator: simulator.state, on: db)
        cluster.workerProgram = workerProgram
        for _ in 0..<count { cluster.workers.append(try cluster.startWorker()) }
        return cluster
    }

    private init(
        database: ConnectionConfiguration, db: Connection, simulator: RunningSimulator, tenantIDs: [Int64],
        environment: [String: String], workerArguments: [String], log: FileHandle, logPath: String
    ) {
        self.database = database
        self.db = db
        self.simulator = simulator
        self.tenantIDs = tenantIDs
        self.environment = environment
        self.workerArguments = workerArguments
        self.log = log
        self.logPath = logPath
    }

    func startWorker() throws -> Process {
        try Launcher().launch(workerProgram, ["worker"] + workerArguments, environment: environment, log: log)
    }

    /// SIGKILL to a random worker, and a new one in its place.
    func killAndReplaceRandomWorker() throws {
        let victim = Int.random(in: 0..<workers.count)
        kill(workers[victim].processIdentifier, SIGKILL)
        workers[victim].waitUntilExit()
        workers[victim] = try startWorker()
    }

    /// Starts again every worker that exited; answers how many.
    func restartExited() throws -> Int {
        var restarted = 0
        for index in workers.indices where !workers[index].isRunning {
            workers[index] = try startWorker()
            restarted += 1
        }
        return restarted
    }

    func syncNowAll() async throws {
        for id in tenantIDs { _ = try await Runs.syncNow(tenantID: id, on: db) }
    }

    func count(_ sql: SQL) async throws -> Int {
        try await db.query(sql)[0].decode("n", as: Int.self)
    }

    var unfinished: Int {
        get async throws { try await count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')") }
    }

    /// Waits until no job is queued or running, doing `meanwhile` every 200 ms; false after `timeout`.
    func waitForQuietQueue(timeout: Duration, meanwhile: () async throws -> Void = {}) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await unfinished == 0 { return true }
            try await meanwhile()
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await unfinished == 0
    }

    /// Jobs by end state, e.g. "succeeded 10000".
    func outcomes() async throws -> String {
        try await db.query("SELECT state, count(*)::int AS n FROM jobs GROUP BY state ORDER BY state").map {
            "\(try $0.decode("state", as: String.self)) \(try $0.decode("n", as: Int.self))"
        }.joined(separator: ", ")
    }

    func audit() async throws -> AdjustmentAudit {
        try await AdjustmentAudit.audit(tenantIDs: tenantIDs, needed: needed, simulator: simulator.state, on: db)
    }

    func faultsInjected() async -> Int {
        await simulator.state.statistics().faultsInjected.values.reduce(0, +)
    }

    func faultsByKind() async -> String {
        await simulator.state.statistics().faultsInjected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    func stop() async {
        for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { worker.waitUntilExit() }
        await simulator.stop()
        try? log.close()
    }
}
