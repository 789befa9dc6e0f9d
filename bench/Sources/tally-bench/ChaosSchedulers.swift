import Foundation
import Postgres
import TallyCore
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ChaosBenchmark {
    /// 6. Three schedulers (tick 0.5 s); every 2 s one of them is SIGKILLed and
    /// replaced, for 70 s, while 400 tenants are overdue and 600 fall due one
    /// every 0.1 s: exactly one run per tenant and due period, with all its jobs.
    func schedulers() async throws -> ChaosFigures {
        var figures = ChaosFigures("6 three schedulers with kills")
        let db = try await connection()
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        try await SchedulerChaos.addTenants(
            count: 1000, overdue: 400, spacingMilliseconds: 100, leadMilliseconds: 5000, prefix: "chaos", on: db)
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("tally-chaos-schedulers-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let start = { try Launcher().launch("tally", ["scheduler", "--tick-seconds", "0.5"], log: log) }
        var schedulers = try (0..<3).map { _ in try start() }
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(70) {
            try await Task.sleep(for: .seconds(2))
            let victim = Int.random(in: 0..<schedulers.count)
            kill(schedulers[victim].processIdentifier, SIGKILL)
            schedulers[victim].waitUntilExit()
            figures.kills += 1
            schedulers[victim] = try start()
        }
        try await Task.sleep(for: .seconds(2))
        figures.seconds = (ContinuousClock.now - started).seconds
        func count(_ sql: SQL) async throws -> Int { try await db.query(sql)[0].decode("n", as: Int.self) }
        let runs = try await count("SELECT count(*)::int AS n FROM runs")
        let tenantsWithRuns = try await count("SELECT count(DISTINCT tenant_id)::int AS n FROM runs")
        let wrong = try await SchedulerChaos.misplacedRuns(on: db)
        let jobs = try await count("SELECT count(*)::int AS n FROM jobs")
        figures.jobs = jobs
        figures.require(runs == 1000 && tenantsWithRuns == 1000, "one run per tenant: \(runs) runs for \(tenantsWithRuns) tenants")
        figures.doubled = max(0, runs - tenantsWithRuns)
        figures.lost = 1000 - tenantsWithRuns
        figures.require(wrong == 0, "each run at its tenant's due instant with its 6 jobs (\(wrong) not)")
        figures.require(jobs == 6000, "6,000 jobs (\(jobs))")
        for scheduler in schedulers { kill(scheduler.processIdentifier, SIGTERM) }
        for scheduler in schedulers { scheduler.waitUntilExit() }
        try? log.close()
        figures.details.append("1,000 tenants (400 overdue, 600 falling due over 60 s): \(runs) runs, \(jobs) jobs; lost = tenants without their run, doubled = extra runs; log \(logPath)")
        return figures
    }
}
