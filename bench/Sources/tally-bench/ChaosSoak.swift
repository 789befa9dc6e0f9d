import Foundation
import Postgres
import TallyCore
import TallySim

extension ChaosBenchmark {
    /// 8. Steady load for `options.soakMinutes`: one worker with 200 tasks
    /// (batch 1, so 200 jobs in flight), 140 tenants (cap 3: 420 slots) whose
    /// Sync Now starts again as soon as their previous run ended, a tenth of
    /// their usage changed each time, Autotask answering in 1 s. The worker's
    /// VmRSS is sampled every `options.sampleSeconds`; the goal is < 64 MB,
    /// not growing.
    func soak() async throws -> ChaosFigures {
        var figures = ChaosFigures("8 soak \(options.soakMinutes) min")
        let tasks = options.soakConcurrency
        let cluster = try await ChaosCluster.start(
            tenants: 140, organizations: 10, workers: 1,
            workerArguments: ["--concurrency", "\(tasks)", "--batch-size", "1", "--retry-base-seconds", "0.5"],
            database: database, on: try await connection())
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=1000"))
        // Batch 1 reads Autotask for every job: about 3 requests each, so a
        // tenant needs about 5,000 an hour here. Autotask's own limit (10,000)
        // keeps the budget from deferring the load half-way.
        try await cluster.db.execute("UPDATE tenants SET hourly_request_budget = 10000")
        let pid = cluster.workers[0].processIdentifier
        var expectedWrites = cluster.needed.count
        var round = 0
        var samples: [(seconds: Double, rss: Int)] = []
        let started = ContinuousClock.now
        let end = started + .seconds(options.soakMinutes * 60)
        var nextSample = started
        print("    soak: 1 worker × \(tasks) tasks, batch 1, 140 tenants × 10 organizations × 2 products, budget 10,000 an hour, latency 1 s; VmRSS every \(options.sampleSeconds) s")
        while ContinuousClock.now < end {
            // Tenants whose last run ended start another, with a tenth of their usage changed.
            round += 1
            let idle = try await cluster.db.query("""
                SELECT t.tenant_id FROM tenants t
                WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = t.tenant_id AND j.state IN ('queued', 'running'))
                """).map { try $0.decode("tenant_id", as: Int64.self) }
            for tenant in idle {
                if round > 1 {
                    expectedWrites += try await cluster.count("""
                        WITH changed AS (
                            UPDATE usage SET units = units + 1, observed_at = now()
                            WHERE tenant_id = \(tenant) AND (organization_id + \(round)) % 10 = 0 RETURNING 1)
                        SELECT count(*)::int AS n FROM changed
                        """)
                }
                _ = try await Runs.syncNow(tenantID: tenant, on: cluster.db)
            }
            if ContinuousClock.now >= nextSample {
                nextSample = nextSample + .seconds(options.sampleSeconds)
                let rss = Self.residentKilobytes(pid: pid) ?? -1
                let seconds = (ContinuousClock.now - started).seconds
                samples.append((seconds, rss))
                let running = try await cluster.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'running'")
                let done = try await cluster.count("SELECT count(*)::int AS n FROM results")
                let connections = try await cluster.count("""
                    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tally worker'
                    """)
                print(String(format: "    t=%5.0f s  rss=%6.1f MB  running=%3d  results=%7d  worker connections=%d",
                             seconds, Double(rss) / 1024, running, done, connections))
                flushOutput()
            }
            try await Task.sleep(for: .seconds(1))
        }
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(300)) {}
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.require(quiet, "every job ended after the load stopped")
        figures.require(cluster.workers[0].isRunning, "the worker ran throughout")
        figures.jobs = try await cluster.count("SELECT count(*)::int AS n FROM jobs")
        let succeeded = try await cluster.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'")
        figures.require(succeeded == figures.jobs, "every sync succeeded (\(succeeded) of \(figures.jobs))")
        let audit = try await cluster.audit()
        figures.lost = audit.lost
        figures.doubled = max(0, audit.posted - expectedWrites)
        figures.require(audit.posted == expectedWrites, "one adjustment per change (\(audit.posted) posted, \(expectedWrites) changes)")

        let rss = samples.map(\.rss).filter { $0 > 0 }
        if let first = rss.first, let last = rss.last, let peak = rss.max() {
            let third = max(1, rss.count / 3)
            let middle = rss.dropFirst(third).prefix(third), final = rss.suffix(third)
            let mean = { (values: ArraySlice<Int>) in Double(values.reduce(0, +)) / Double(max(1, values.count)) / 1024 }
            let growth = mean(final) - mean(middle)
            figures.details.append(String(
                format: "worker VmRSS: start %.1f MB, max %.1f MB, end %.1f MB; mean of the last third %.1f MB vs the middle third %.1f MB (%+.1f MB); %d samples",
                Double(first) / 1024, Double(peak) / 1024, Double(last) / 1024, mean(final), mean(middle), growth, rss.count))
            figures.require(Double(peak) / 1024 < 64, "worker RSS stays under 64 MB")
            figures.require(growth < max(2, mean(middle) * 0.05), "worker RSS does not grow (last third within 5 % or 2 MB of the middle third)")
        } else {
            figures.failures.append("no RSS sample of the worker")
        }
        figures.details.append("\(figures.jobs) syncs in \(round) load rounds, \(audit.posted) adjustments posted")
        figures.details.append("worker log: \(cluster.logPath)")
        await cluster.stop()
        return figures
    }

    /// VmRSS of a process in kB, from /proc/PID/status.
    static func residentKilobytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}
