import Foundation
import Postgres
import TallyCore
import TallyQueue
import TallySim
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Scenarios 1–5 and 7 of issue 9 at full size (README: "Chaos"). Each
/// starts from fresh tenants where every sync is a change, and ends by
/// auditing every contract against usage and every adjustment posted.
extension ChaosBenchmark {
    /// 1. 10,000 syncs over 50 tenants; every 2 s a random worker is SIGKILLed and replaced.
    func workerKills() async throws -> ChaosFigures {
        var figures = ChaosFigures("1 worker kills")
        let cluster = try await cluster(tenants: 50, organizations: 100, workers: 4, extra: ["--lease-seconds", "5"])
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        var lastKill = ContinuousClock.now
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(1800)) {
            if ContinuousClock.now - lastKill >= .seconds(2) {
                try cluster.killAndReplaceRandomWorker()
                figures.kills += 1
                lastKill = ContinuousClock.now
            }
        }
        figures.seconds = (ContinuousClock.now - started).seconds
        try await finish(cluster, quiet: quiet, expectedSucceeded: 10_000, into: &figures)
        figures.details.append("jobs retried after a kill: \(try await cluster.count("SELECT count(*)::int AS n FROM results WHERE attempts > 1"))")
        return figures
    }

    /// 2. `pg_ctl restart -m fast` with a third of 2,000 syncs done; a scheduler runs throughout and must create runs after it.
    func databaseRestart() async throws -> ChaosFigures {
        var figures = ChaosFigures("2 PostgreSQL restart")
        guard let pgCtl = ProcessInfo.processInfo.environment["TALLY_PG_CTL"] else {
            figures.failures.append("TALLY_PG_CTL is not set: run through bench/chaos/run (scripts/with-postgres)")
            return figures
        }
        let cluster = try await cluster(tenants: 20, organizations: 50, workers: 3, extra: ["--lease-seconds", "5"])
        let scheduler = try Launcher().launch("tally", ["scheduler", "--tick-seconds", "1"], log: cluster.log)
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        while try await cluster.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'") < 700 {
            try await Task.sleep(for: .milliseconds(50))
        }
        // system(3): the restarted server must not inherit a Process's descriptors.
        figures.require(system("\(pgCtl) -m fast -w restart >/dev/null 2>&1") == 0, "pg_ctl restart succeeded")
        figures.restarts = 1
        cluster.db = try await Connection.connect(database)
        // Five tenants fall due now: only a reconnected scheduler creates their runs.
        let due = Array(cluster.tenantIDs.prefix(5))
        try await cluster.db.execute("""
            UPDATE tenants SET schedule_kind = 'daily', time_zone = 'UTC',
                   schedule_time = (now() AT TIME ZONE 'UTC' - interval '1 second')::time
            WHERE tenant_id = ANY(\(due)::bigint[])
            """)
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(600)) {}
        let scheduled = try await cluster.count("SELECT count(*)::int AS n FROM runs WHERE trigger = 'daily'")
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.require(scheduled == 5, "the scheduler created the 5 runs due after the restart (\(scheduled))")
        figures.require(scheduler.isRunning, "the scheduler survived the restart")
        figures.require(cluster.workers.allSatisfy(\.isRunning), "every worker survived the restart")
        kill(scheduler.processIdentifier, SIGTERM)
        scheduler.waitUntilExit()
        try await finish(cluster, quiet: quiet, expectedSucceeded: 2_000 + 5 * 100, into: &figures)
        figures.details.append("runs created by the scheduler after the restart: \(scheduled); their jobs found nothing left to change")
        return figures
    }

    /// 3. About 20 % of Autotask calls fail transiently: 503, bare 500, 429, hang then 504, write applied but
    /// answer lost, and (issue 17) a write answered 504 at once and applied 1.5 s later.
    func flakyAutotask() async throws -> ChaosFigures {
        var figures = ChaosFigures("3 flaky Autotask (20 % + late writes)")
        let cluster = try await cluster(tenants: 20, organizations: 50, workers: 3, extra: [])
        await cluster.simulator.state.setFaults(
            try FaultSpec(parsing: "5xx=0.04,ise=0.04,429=0.04,hang=0.04,lost=0.04,late=0.04,lateBy=1500ms,hangFor=2s,seed=9"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(1800)) {}
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.faults = await cluster.faultsInjected()
        figures.details.append("faults: \(await cluster.faultsByKind())")
        await cluster.simulator.state.setFaults(FaultSpec())
        try await finish(cluster, quiet: quiet, expectedSucceeded: 2_000, into: &figures)
        return figures
    }

    /// 4. Autotask down (every call 503) for 30 s once a fifth of 2,000 syncs are done; default back-off.
    func outage() async throws -> ChaosFigures {
        var figures = ChaosFigures("4 Autotask outage 30 s")
        let cluster = try await cluster(tenants: 20, organizations: 50, workers: 3, extra: ["--retry-base-seconds", "2"])
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        while try await cluster.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'") < 400 {
            try await Task.sleep(for: .milliseconds(50))
        }
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50,outage=on"))
        try await Task.sleep(for: .seconds(30))
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50"))
        let ended = ContinuousClock.now
        let waiting = try await cluster.unfinished
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(900)) {}
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.faults = await cluster.faultsInjected()
        figures.require(waiting > 0, "the outage came in the middle of the run")
        figures.details.append(String(format: "%d jobs unfinished when the outage ended; all done %.1f s after it", waiting,
                                      (ContinuousClock.now - ended).seconds))
        try await finish(cluster, quiet: quiet, expectedSucceeded: 2_000, into: &figures)
        return figures
    }

    /// 5. One tenant's hourly budget (60) runs out mid-run: its jobs defer, the other nine finish; hours pass (moved back) and it finishes.
    func budget() async throws -> ChaosFigures {
        var figures = ChaosFigures("5 budget spent mid-run")
        let cluster = try await cluster(tenants: 10, organizations: 50, workers: 2, extra: [])
        let poor = cluster.tenantIDs[0]
        try await cluster.db.execute("UPDATE tenants SET hourly_request_budget = 60 WHERE tenant_id = \(poor)")
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=20"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        while try await cluster.count("""
            SELECT count(*)::int AS n FROM jobs WHERE tenant_id <> \(poor) AND state IN ('queued', 'running')
            """) > 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let othersDone = (ContinuousClock.now - started).seconds
        let poorDone = try await cluster.count("SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor) AND state = 'succeeded'")
        let deferred = try await cluster.count("""
            SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor) AND state = 'queued' AND deferred_reason IS NOT NULL AND attempts = 0
            """)
        figures.require(try await cluster.count("""
            SELECT count(*)::int AS n FROM jobs WHERE tenant_id <> \(poor) AND state <> 'succeeded'
            """) == 0, "the other tenants' jobs all succeeded")
        figures.require(deferred > 0 && poorDone < 100, "the tenant's budget ran out mid-run (\(poorDone) done, \(deferred) deferred)")
        var hours = 0
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(600)) {
            let ready = try await cluster.count("""
                SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor) AND (state = 'running' OR (state = 'queued' AND run_at <= now()))
                """)
            guard ready == 0 else { return }
            // An hour passes for this tenant: its counted minutes leave the window, its deferred jobs come due.
            hours += 1
            try await cluster.db.execute("UPDATE autotask_request_counts SET minute = minute - interval '61 minutes' WHERE tenant_id = \(poor)")
            try await cluster.db.execute("UPDATE jobs SET run_at = run_at - interval '61 minutes' WHERE tenant_id = \(poor) AND state = 'queued'")
            try await Task.sleep(for: .milliseconds(500))
        }
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.details.append(String(format: "the other 9 tenants finished in %.1f s while tenant 1 had %d done and %d deferred (no attempt used); tenant 1 needed %d more hours of budget",
                                      othersDone, poorDone, deferred, hours))
        try await finish(cluster, quiet: quiet, expectedSucceeded: 1_000, into: &figures)
        return figures
    }

    /// 7. 20 syncs with malformed arguments and 5 jobs whose handler kills its worker (3 attempts each), among 1,000 syncs; crashed workers are restarted.
    func poison() async throws -> ChaosFigures {
        var figures = ChaosFigures("7 poison input")
        // tally-bench's worker: the shipped tally has no kind that crashes on request.
        let cluster = try await cluster(
            tenants: 20, organizations: 25, workers: 3, extra: ["--lease-seconds", "3"], workerProgram: "tally-bench")
        let malformed = [
            #"{"organization_id": "seven", "product": "edr"}"#, #"{"product": "edr"}"#,
            #"{"organization_id": 1, "product": 42}"#, #"{"organization_id": 123456789012345678901234567890, "product": "edr"}"#,
        ]
        for tenant in cluster.tenantIDs.prefix(5) {
            for (index, arguments) in malformed.enumerated() {
                try await cluster.db.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key, args, priority)
                    VALUES (\(tenant), 'sync', \("poison-\(index)"), \(arguments)::jsonb, 10)
                    """)
            }
        }
        for tenant in cluster.tenantIDs.suffix(5) {
            try await cluster.db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, max_attempts)
                VALUES (\(tenant), \(CrashKind.name), 'crash', '{}', 10, 3)
                """)
        }
        await cluster.simulator.state.setFaults(try FaultSpec(parsing: "latency=50"))
        let started = ContinuousClock.now
        try await cluster.syncNowAll()
        let quiet = try await cluster.waitForQuietQueue(timeout: .seconds(900)) {
            figures.restarts += try cluster.restartExited()
        }
        figures.seconds = (ContinuousClock.now - started).seconds
        figures.jobs = 25
        // A malformed job fails on its first run; one more attempt only if a crash killed its first run before it got there.
        let malformedOK = try await cluster.count("""
            SELECT count(*)::int AS n FROM jobs WHERE unique_key LIKE 'poison-%' AND state = 'failed'
              AND last_error LIKE '%arguments are malformed%'
            """)
        let malformedAttempts = try await cluster.db.query("""
            SELECT attempts, count(*)::int AS n FROM jobs WHERE unique_key LIKE 'poison-%' GROUP BY attempts ORDER BY attempts
            """).map { "\(try $0.decode("n", as: Int.self)) after \(try $0.decode("attempts", as: Int.self))" }
        let crashOK = try await cluster.count("""
            SELECT count(*)::int AS n FROM jobs WHERE unique_key = 'crash' AND state = 'failed' AND attempts = 3
              AND last_error LIKE '%its worker stopped while running it%'
            """)
        figures.require(malformedOK == 20, "20 malformed jobs failed with a message (\(malformedOK))")
        figures.require(crashOK == 5, "5 crashing jobs failed after 3 attempts with a message (\(crashOK))")
        // Two crashing jobs in one process at once take it down once.
        let restarts = figures.restarts
        figures.require((3...15).contains(restarts), "at most one restart per crashing attempt (\(restarts) restarts)")
        figures.details.append("malformed jobs failed: \(malformedAttempts.joined(separator: ", ")) attempts; \(restarts) worker restarts for 15 crashing attempts")
        let sample = try await cluster.db.query("""
            (SELECT last_error FROM jobs WHERE unique_key = 'poison-0' LIMIT 1)
            UNION ALL (SELECT last_error FROM jobs WHERE unique_key = 'crash' LIMIT 1)
            """)
        for row in sample { figures.details.append("message: \(try row.decode("last_error", as: String.self))") }
        try await finish(cluster, quiet: quiet, expectedSucceeded: 1_000, into: &figures, otherJobs: 25)
        return figures
    }

    /// A cluster whose workers run `options.concurrency` tasks, batch 20, fast retries unless `extra` says otherwise.
    func cluster(
        tenants: Int, organizations: Int, workers: Int, extra: [String], workerProgram: String = "tally"
    ) async throws -> ChaosCluster {
        try await ChaosCluster.start(
            tenants: tenants, organizations: organizations, workers: workers,
            workerArguments: ["--concurrency", "\(options.concurrency)", "--batch-size", "20", "--retry-base-seconds", "0.5"] + extra,
            database: database, workerProgram: workerProgram, on: try await connection())
    }

    /// The end of every scenario: all jobs ended, sync jobs succeeded, the audit; then the cluster stops.
    func finish(
        _ cluster: ChaosCluster, quiet: Bool, expectedSucceeded: Int, into figures: inout ChaosFigures, otherJobs: Int = 0
    ) async throws {
        figures.require(quiet, "every job ended (none left queued or running)")
        let syncs = try await cluster.count("SELECT count(*)::int AS n FROM jobs WHERE kind = 'sync' AND unique_key NOT LIKE 'poison-%'")
        figures.jobs = syncs + otherJobs
        let succeeded = try await cluster.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'")
        figures.require(succeeded == expectedSucceeded, "\(expectedSucceeded) syncs succeeded (\(succeeded))")
        let audit = try await cluster.audit()
        figures.lost = audit.lost
        figures.doubled = audit.doubled
        if figures.faults == 0 { figures.faults = await cluster.faultsInjected() }
        figures.details.append("jobs: \(try await cluster.outcomes()); adjustments: \(audit.posted) posted for \(cluster.needed.count) needed changes")
        if !audit.examples.isEmpty { figures.details.append("audit: \(audit)") }
        figures.details.append("worker log: \(cluster.logPath)")
        await cluster.stop()
    }
}
