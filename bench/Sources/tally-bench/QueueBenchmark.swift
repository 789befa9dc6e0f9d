import Foundation
import Postgres
import TallyCore
import TallyQueue

#if canImport(Glibc)
import Glibc
#endif

/// No-op jobs over several capped tenants, drained by `tally worker`
/// processes, against pgbench running the workers' own statements
/// (`PgbenchScript`), prepared as the workers prepare them, over as many connections.
struct QueueBenchmark {
    struct Options {
        var jobs = 100_000
        var tenants = 12
        var workers = 4
        var concurrency = 8
        /// `tally worker --batch-size`'s default, so the benchmark measures the worker as shipped.
        var batch = 50
        /// `tally worker --queue-statements`; the default is the worker's own.
        var queueStatements: Int?
    }

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")
    let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()

    func run() async throws {
        let db = try await Connection.connect(database)
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        try await db.executeScript("TRUNCATE tenants CASCADE; TRUNCATE noop_runs", name: "reset")
        try await db.execute("""
            INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, concurrency_cap)
            SELECT 'bench-' || g, 'Bench ' || g, 'api' || g, 'CODE', 3 FROM generate_series(1, \(options.tenants)) g
            """)
        let tenantIDs = try await db.query("SELECT tenant_id FROM tenants ORDER BY tenant_id").map { try $0.decode("tenant_id", as: Int64.self) }
        let connections = options.workers * options.concurrency
        print("queue benchmark: \(options.jobs) no-op jobs, \(options.tenants) tenants (cap 3 each), "
              + "\(options.workers) workers × \(options.concurrency) tasks = \(connections) connections, batch \(options.batch)"
              + (options.queueStatements.map { ", \($0) queue statements at once per worker" } ?? ""))

        let enqueueRate = try await enqueue(tenantIDs, prefix: "tally", on: db)
        print(String(format: "enqueue (bulk, 5,000 per statement): %.0f jobs/s", enqueueRate))

        let statements = await StatementStatistics.prepare(on: db)
        let tallyRate = try await drainWithWorkers(statements: statements, on: db)
        print(String(format: "tally worker:   %.0f jobs/s", tallyRate))

        try await db.executeScript("DELETE FROM jobs; UPDATE queue_slots SET holder_worker = NULL, holder_task = NULL, lease_expires_at = NULL", name: "reset")
        _ = try await enqueue(tenantIDs, prefix: "pgbench", on: db)
        try await statements.reset(on: db)
        let baselineRate = try await drainWithPgbench(clients: connections, on: db)
        if statements.available { print("pgbench drain:\n" + (try await statements.top(3, on: db))) }
        print(String(format: "pgbench (same SQL, same connections): %.0f jobs/s", baselineRate))
        print(String(format: "ratio tally/pgbench: %.2f (goal ≥ 0.7)", tallyRate / baselineRate))

        try await db.execute("DELETE FROM jobs")
        let latencies = try await pickUpLatencies(tenantIDs, on: db)
        print(String(format: "pick-up latency, idle worker, 200 single enqueues: p50 %.1f ms, p99 %.1f ms",
                     percentile(latencies, 0.5), percentile(latencies, 0.99)))
    }

    /// Answers jobs per second of the bulk enqueue path.
    func enqueue(_ tenants: [Int64], prefix: String, on db: Connection) async throws -> Double {
        let started = ContinuousClock.now
        var next = 0
        while next < options.jobs {
            let chunk = (next..<min(next + 5000, options.jobs)).map { number in
                NewJob(tenantID: tenants[number % tenants.count], kind: "noop", uniqueKey: "\(prefix)-\(number)")
            }
            try await JobQueue.enqueue(chunk, on: db)
            next += chunk.count
        }
        return Double(options.jobs) / (ContinuousClock.now - started).seconds
    }

    /// Jobs per second from the first start to the last finish, by the database's clock.
    func drainRate(on db: Connection) async throws -> Double {
        let row = try await db.query("""
            SELECT count(*)::int AS done, extract(epoch FROM max(finished_at) - min(started_at))::float8 AS seconds
            FROM jobs WHERE state = 'succeeded'
            """)[0]
        return Double(try row.decode("done", as: Int.self)) / (try row.decode("seconds", as: Double.self))
    }

    func waitUntilDrained(on db: Connection) async throws {
        // Two index probes, not a count of every job: the poll runs ten times a
        // second on the database being measured (a count took 6 s of its time).
        while try await db.query("""
            SELECT (EXISTS (SELECT 1 FROM jobs WHERE state = 'queued')
                    OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running'))::int AS busy
            """)[0].decode("busy", as: Int.self) == 1 {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func drainWithWorkers(statements: StatementStatistics, on db: Connection) async throws -> Double {
        try await statements.reset(on: db)
        let workers = try (0..<options.workers).map { _ in
            try launch("tally", ["worker", "--concurrency", "\(options.concurrency)", "--batch-size", "\(options.batch)"]
                       + (options.queueStatements.map { ["--queue-statements", "\($0)"] } ?? []))
        }
        defer {
            for worker in workers { kill(worker.processIdentifier, SIGTERM) }
            for worker in workers { worker.waitUntilExit() }
        }
        let cpu = ProcessCPU(workers: workers.map(\.processIdentifier))
        let before = cpu.split()
        try await waitUntilDrained(on: db)
        print("tally worker drain: \((cpu.split() - before).summary)")
        if statements.available { print(try await statements.top(6, on: db)) }
        return try await drainRate(on: db)
    }

    func drainWithPgbench(clients: Int, on db: Connection) async throws -> Double {
        let script = PgbenchScript(batch: options.batch).text
        let scriptFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-\(UUID()).sql")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scriptFile) }
        let transactions = max(1, options.jobs / (clients * options.batch))
        let pgbench = try launch("pgbench", [
            "-n", "-M", "prepared", "-c", "\(clients)", "-j", "2", "-t", "\(transactions)", "-f", scriptFile.path,
            ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "",
        ], quiet: true)
        pgbench.waitUntilExit()
        guard pgbench.terminationStatus == 0 else { throw BenchError("pgbench failed with status \(pgbench.terminationStatus)") }
        return try await drainRate(on: db)
    }

    func pickUpLatencies(_ tenants: [Int64], on db: Connection) async throws -> [Double] {
        let worker = try launch("tally", ["worker", "--concurrency", "4", "--poll-seconds", "30"])
        defer {
            kill(worker.processIdentifier, SIGTERM)
            worker.waitUntilExit()
        }
        while try await db.query("SELECT count(*)::int AS n FROM workers")[0].decode("n", as: Int.self) == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        for number in 0..<200 {
            try await Task.sleep(for: .milliseconds(10))
            _ = try await JobQueue.enqueue(NewJob(tenantID: tenants[number % tenants.count], kind: "noop", uniqueKey: "latency-\(number)"), on: db)
        }
        try await waitUntilDrained(on: db)
        return try await db.query("""
            SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 AS ms FROM jobs ORDER BY 1
            """).map { try $0.decode("ms", as: Double.self) }
    }

    func launch(_ program: String, _ arguments: [String], quiet: Bool = false) throws -> Process {
        try Launcher(binDirectory: binDirectory).launch(program, arguments, quiet: quiet)
    }

    func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
