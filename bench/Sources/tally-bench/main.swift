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
guard arguments.first == "queue" else {
    FileHandle.standardError.write(Data("usage: tally-bench queue [--jobs N] [--tenants N] [--workers N] [--concurrency N] [--batch N]\n       tally-bench print-claim   (the claim as PREPARE and EXPLAIN ANALYZE EXECUTE, for psql)\n".utf8))
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
