import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A primary dies mid-run and its standby is promoted (issue 21): workers,
/// the scheduler and the CLI on a multi-host `DATABASE_URL` with
/// `target_session_attrs=read-write` reconnect by themselves, the run
/// completes, and every contract ends at its usage with one adjustment per
/// change. `TALLY_FAILOVER_ORGANIZATIONS` sets the size (`make chaos` runs it big).
@Suite(.serialized)
struct FailoverTests {
    /// Asynchronous replication, cut before the fail-over: jobs whose ends the
    /// old primary acknowledged are lost with it and run again, and their
    /// second run changes nothing in Autotask (the sync sets a target; the
    /// units are already there).
    @Test func jobsLostWithAnAsynchronousPrimaryRunAgainHarmlessly() async throws {
        let outcome = try await failOverMidRun(synchronous: false)
        #expect(outcome.acknowledgedTwice > 0, "the cut lost acknowledged ends, which ran again")
    }

    /// Synchronous replication: every acknowledged end is on the standby, so
    /// no job runs again.
    @Test func withASynchronousStandbyNothingIsRedone() async throws {
        let outcome = try await failOverMidRun(synchronous: true)
        #expect(outcome.acknowledgedTwice == 0, "an acknowledged end was lost")
    }

    struct Outcome {
        var acknowledgedTwice: Int
    }

    static let organizations = Int(ProcessInfo.processInfo.environment["TALLY_FAILOVER_ORGANIZATIONS"] ?? "") ?? 20

    func failOverMidRun(synchronous: Bool) async throws -> Outcome {
        let pair = try PgPair(synchronous: synchronous)
        defer { pair.stop() }
        return try await SyncFixture.with(tenants: 3, organizations: Self.organizations, server: pair.configuration()) { fixture in
            let jobs = 3 * Self.organizations * 2
            let needed = try await fixture.mismatches().count
            try await dashboardReadsTheStandby(pair: pair, database: fixture.configuration.overrides["dbname"]!, on: fixture.connection)

            await fixture.simulator.state.setFaults(try FaultSpec(parsing: "latency=40"))
            var environment = fixture.workerEnvironment
            environment["LOG_LEVEL"] = "debug"
            environment["LOG_FORMAT"] = "json"
            let workers = try (0..<2).map { _ in
                try WorkerProcess(fixture.configuration, arguments: [
                    "--concurrency", "4", "--batch-size", "4", "--lease-seconds", "5", "--retry-base-seconds", "0.2",
                ], environment: environment)
            }
            let scheduler = try WorkerProcess(fixture.configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"])
            _ = try await fixture.syncNowAll()
            let succeeded: SQL = "SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'"
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(60)) {
                try await Fixtures.count(succeeded, on: fixture.connection) >= jobs / 4
            })
            if !synchronous {
                try pair.cutReplication()
                let before = try await Fixtures.count(succeeded, on: fixture.connection)
                #expect(try await TestDatabase.waitUntil(timeout: .seconds(60)) {
                    try await Fixtures.count(succeeded, on: fixture.connection) >= before + 8
                }, "jobs finished on the primary after the cut")
            }
            #expect(try await Fixtures.count(succeeded, on: fixture.connection) < jobs, "the fail-over comes mid-run")
            try pair.failOver()
            let failedOver = ContinuousClock.now

            let connection = try await Connection.connect(fixture.configuration)
            let promoted = try await connection.query("SELECT pg_is_in_recovery() AS r, now()::text AS t")[0]
            #expect(try promoted.decode("r", as: Bool.self) == false)
            let promotedAt = try promoted.decode("t", as: String.self)
            // Reconnected: both workers heartbeat on the new primary after its promotion (a heartbeat
            // comes every lease / 3, so this is an upper bound) and the scheduler has a session there.
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(30)) {
                let workersBack = try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM workers WHERE heartbeat_at > \(promotedAt)::timestamptz AND NOT stopping
                    """, on: connection)
                let schedulerBack = try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tally scheduler'
                    """, on: connection)
                return workersBack == 2 && schedulerBack >= 1
            }, "\(workers.map(\.log))\(scheduler.log)")
            let reconnected = ContinuousClock.now - failedOver
            print("fail-over (synchronous: \(synchronous)): every process reconnected within \(reconnected)")
            #expect(reconnected < .seconds(15), "reconnected within 15 s")

            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", toBe: 0, on: connection,
                timeout: .seconds(120)), "\(workers.map(\.log))")
            await fixture.simulator.state.setFaults(FaultSpec())
            let after = SyncFixture(simulator: fixture.simulator, configuration: fixture.configuration, connection: connection,
                                    tenantIDs: fixture.tenantIDs, organizations: fixture.organizations)
            #expect(try await after.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == needed, "one adjustment per change")
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == jobs)

            // The CLI finds the new primary on the same URL.
            let status = try TallyCLI(fixture).run(["status", "msp-1"])
            #expect(status.status == 0, "\(status.error)")

            scheduler.signal(SIGTERM)
            #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0)
            await workers.stopAll()
            let (acknowledged, acknowledgedTwice) = Self.acknowledgedEnds(workers.map(\.log))
            #expect(acknowledged >= jobs, "every job's final end is in the workers' logs (\(acknowledged) read)")
            print("fail-over (synchronous: \(synchronous)): \(acknowledgedTwice) acknowledged job ends were lost and the jobs ran again")
            return Outcome(acknowledgedTwice: acknowledgedTwice)
        }
    }

    /// Final ends (succeeded, failed, skipped, held, cancelled) workers saw
    /// written, and the jobs whose final end a worker saw written more than once (`job end written`, JSON logs). A
    /// retry, a deferral or a hand-back runs the job again by design.
    static func acknowledgedEnds(_ logs: [String]) -> (ends: Int, jobsTwice: Int) {
        let finalEnds: Set<String> = ["succeeded", "failed", "skipped", "held", "cancelled"]
        var seen: [String: Int] = [:]
        for line in logs.flatMap({ $0.split(separator: "\n") }) where line.contains("\"job end written\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let tenant = object["tenant"] as? String, let job = object["job"] as? String,
                  let end = object["end"] as? String, finalEnds.contains(end)
            else { continue }
            seen["\(tenant)/\(job)", default: 0] += 1
        }
        return (seen.values.reduce(0, +), seen.values.filter { $0 > 1 }.count)
    }

    /// A dashboard login on `target_session_attrs=prefer-standby` reads the standby while it is one.
    func dashboardReadsTheStandby(pair: PgPair, database: String, on primary: Connection) async throws {
        try await primary.execute("CREATE ROLE failover_dashboard LOGIN IN ROLE tally_dashboard")
        var configuration = pair.configuration(user: "failover_dashboard", sessionAttributes: "prefer-standby")
        configuration.overrides["dbname"] = database
        #expect(try await TestDatabase.waitUntil(timeout: .seconds(10)) {
            guard let dashboard = try? await Connection.connect(configuration) else { return false }
            let row = try await dashboard.query("""
                SELECT pg_is_in_recovery() AS standby, (SELECT count(*)::int FROM dashboard.sync_status) AS n
                """)[0]
            return try row.decode("standby", as: Bool.self)
        }, "the dashboard login reads the standby")
    }
}
