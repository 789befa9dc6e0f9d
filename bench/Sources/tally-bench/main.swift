// tally-bench: benchmarks that need the real queue. See bench/README.md.
import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "print-claim" {
    // For EXPLAIN: the claim as a prepared statement and one execution of it.
    let claim = JobQueue.claimStatement(worker: UUID(), task: 0, batchSize: 10, lease: .seconds(30), kinds: ["noop"], kindsDecideTenant: false)
    print("PREPARE claim AS " + claim.text + ";")
    print("EXPLAIN (ANALYZE) EXECUTE claim(" + claim.parameters.map { $0.map(quoteLiteral) ?? "NULL" }.joined(separator: ", ") + ");")
    exit(0)
}
if arguments.first == "worker" {
    do {
        try await TestWorker.run(Array(arguments.dropFirst()))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(64)
    }
}
if arguments.first == "e2e" {
    var options = E2EBenchmark.Options()
    var index = 1
    while index + 1 < arguments.count {
        let value = arguments[index + 1]
        switch arguments[index] {
        case "--tenants": options.tenants = Int(value) ?? options.tenants
        case "--organizations": options.organizations = Int(value) ?? options.organizations
        case "--workers": options.workers = Int(value) ?? options.workers
        case "--concurrency": options.concurrency = Int(value) ?? options.concurrency
        case "--batch": options.batch = Int(value) ?? options.batch
        case "--queue-statements": options.queueStatements = Int(value)
        case "--latencies": options.latencies = value.split(separator: ",").compactMap { Int($0) }
        default:
            FileHandle.standardError.write(Data("tally-bench: unknown option \(arguments[index])\n".utf8))
            exit(64)
        }
        index += 2
    }
    do {
        try await E2EBenchmark(options: options).run()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.first == "refresh" {
    var options = RefreshBenchmark.Options()
    var index = 1
    while index + 1 < arguments.count {
        guard let value = Int(arguments[index + 1]), value > 0 else {
            FileHandle.standardError.write(Data("tally-bench: \(arguments[index]) needs a positive number\n".utf8))
            exit(64)
        }
        switch arguments[index] {
        case "--tenants": options.tenants = value
        case "--organizations": options.organizations = value
        case "--workers": options.workers = value
        case "--concurrency": options.concurrency = value
        case "--rounds": options.rounds = value
        default:
            FileHandle.standardError.write(Data("tally-bench: unknown option \(arguments[index])\n".utf8))
            exit(64)
        }
        index += 2
    }
    do {
        try await RefreshBenchmark(options: options).run()
        if options.rounds > 2 { try await RefreshSyncBenchmark(workers: options.workers, concurrency: options.concurrency).run() }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.first == "chaos" {
    guard let options = ChaosBenchmark.parse(arguments.dropFirst()) else {
        FileHandle.standardError.write(Data("usage: tally-bench chaos [--scenarios 1,2,…,8] [--soak-minutes 60] [--soak-concurrency 200] [--sample-seconds 15] [--concurrency 16]\n".utf8))
        exit(64)
    }
    do {
        exit(try await ChaosBenchmark(options: options).run() ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
        exit(1)
    }
}
let usage = """
    usage: tally-bench queue [--jobs N] [--tenants N] [--workers N] [--concurrency N] [--batch N] [--queue-statements N]
           tally-bench scheduler [--tenants N] [--organizations N]
           tally-bench dashboard [--tenants N] [--organizations N] [--repeat N]
           tally-bench e2e [--tenants N] [--organizations N] [--workers N] [--concurrency N] [--batch N] [--queue-statements N] [--latencies 0,150]
           tally-bench chaos [--scenarios 1,2,…,8] [--soak-minutes 60] [--soak-concurrency 200] [--sample-seconds 15] [--concurrency 16]
           tally-bench refresh [--tenants N] [--organizations N] [--workers N] [--concurrency N] [--rounds 1|2|3]
           tally-bench worker [--concurrency N] [--batch-size N] [--lease-seconds S] [--retry-base-seconds S] [--poll-seconds S]
               (tally's worker plus the test-only kind `crash`, for poison-job tests)
           tally-bench print-claim   (the claim as PREPARE and EXPLAIN ANALYZE EXECUTE, for psql)

    """
guard let benchmark = arguments.first, ["queue", "scheduler", "dashboard"].contains(benchmark) else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(64)
}
/// The `--name N` pairs after the benchmark's name (N a positive number).
var options: [String: Int] = [:]
var index = 1
while index < arguments.count {
    guard index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 else {
        FileHandle.standardError.write(Data("tally-bench: \(arguments[index]) needs a positive number\n".utf8))
        exit(64)
    }
    options[arguments[index]] = value
    index += 2
}
let known = switch benchmark {
case "queue": ["--jobs", "--tenants", "--workers", "--concurrency", "--batch", "--queue-statements"]
case "dashboard": ["--tenants", "--organizations", "--repeat"]
default: ["--tenants", "--organizations"]
}
if let unknown = options.keys.first(where: { !known.contains($0) }) {
    FileHandle.standardError.write(Data("tally-bench: unknown option \(unknown) for \(benchmark)\n".utf8))
    exit(64)
}
do {
    if benchmark == "queue" {
        var queue = QueueBenchmark.Options()
        queue.jobs = options["--jobs"] ?? queue.jobs
        queue.tenants = options["--tenants"] ?? queue.tenants
        queue.workers = options["--workers"] ?? queue.workers
        queue.concurrency = options["--concurrency"] ?? queue.concurrency
        queue.batch = options["--batch"] ?? queue.batch
        queue.queueStatements = options["--queue-statements"]
        try await QueueBenchmark(options: queue).run()
    } else if benchmark == "dashboard" {
        var dashboard = DashboardBenchmark.Options()
        dashboard.tenants = options["--tenants"] ?? dashboard.tenants
        dashboard.organizations = options["--organizations"] ?? dashboard.organizations
        dashboard.repetitions = options["--repeat"] ?? dashboard.repetitions
        try await DashboardBenchmark(options: dashboard).run()
    } else {
        var scheduler = SchedulerBenchmark.Options()
        scheduler.tenants = options["--tenants"] ?? scheduler.tenants
        scheduler.organizations = options["--organizations"] ?? scheduler.organizations
        try await SchedulerBenchmark(options: scheduler).run()
    }
} catch {
    FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
    exit(1)
}
