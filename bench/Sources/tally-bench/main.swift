// tally-bench: benchmarks that need the real queue. See bench/README.md.
import Foundation
import Postgres
import TallyCore

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "print-claim" {
    // For EXPLAIN: the claim as a prepared statement and one execution of it.
    let claim = JobQueue.claimStatement(worker: UUID(), task: 0, batchSize: 10, lease: .seconds(30), kinds: ["noop"], kindsDecideTenant: false)
    print("PREPARE claim AS " + claim.text + ";")
    print("EXPLAIN (ANALYZE) EXECUTE claim(" + claim.parameters.map { $0.map(quoteLiteral) ?? "NULL" }.joined(separator: ", ") + ");")
    exit(0)
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
guard arguments.first == "queue" else {
    FileHandle.standardError.write(Data("usage: tally-bench queue [--jobs N] [--tenants N] [--workers N] [--concurrency N] [--batch N]\n       tally-bench e2e [--tenants N] [--organizations N] [--workers N] [--concurrency N] [--batch N] [--latencies 0,150]\n       tally-bench print-claim   (the claim as PREPARE and EXPLAIN ANALYZE EXECUTE, for psql)\n".utf8))
    exit(64)
}
var options = QueueBenchmark.Options()
var index = 1
while index + 1 < arguments.count {
    guard let value = Int(arguments[index + 1]), value > 0 else {
        FileHandle.standardError.write(Data("tally-bench: \(arguments[index]) needs a positive number\n".utf8))
        exit(64)
    }
    switch arguments[index] {
    case "--jobs": options.jobs = value
    case "--tenants": options.tenants = value
    case "--workers": options.workers = value
    case "--concurrency": options.concurrency = value
    case "--batch": options.batch = value
    default:
        FileHandle.standardError.write(Data("tally-bench: unknown option \(arguments[index])\n".utf8))
        exit(64)
    }
    index += 2
}
do {
    try await QueueBenchmark(options: options).run()
} catch {
    FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
    exit(1)
}
