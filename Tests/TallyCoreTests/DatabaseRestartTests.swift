import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `pg_ctl restart` in the middle of a run (issue 9, scenario 2): workers
/// and the scheduler reconnect by themselves and finish; nothing is lost and
/// nothing is doubled. `fast` shuts down cleanly; `immediate` is a crash,
/// which loses the claims whose commits had not reached the disk yet (claims
/// do not wait for it, issue 19): their jobs go back to the queue and run
/// once more, never twice to Autotask.
@Suite(.serialized)
struct DatabaseRestartTests {
    @Test(arguments: ["fast", "immediate"])
    func workersAndTheSchedulerFinishAcrossADatabaseRestart(mode: String) async throws {
        guard let pgCtl = ProcessInfo.processInfo.environment["TALLY_PG_CTL"] else {
            Issue.record("TALLY_PG_CTL is not set: run the tests with scripts/with-postgres (make test)")
            return
        }
        try await SyncFixture.with(tenants: 3, organizations: 20) { fixture in
            let needed = try await fixture.mismatches().count
            await fixture.simulator.state.setFaults(try FaultSpec(parsing: "latency=100"))
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "4", "--batch-size", "10", "--lease-seconds", "5"])
            let scheduler = try WorkerProcess(fixture.configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"])
            _ = try await fixture.syncNowAll()
            // The run is under way (jobs have finished) and the scheduler is connected, so the restart meets both.
            #expect(try await Fixtures.waitFor(
                "SELECT least(count(*), 10)::int AS n FROM jobs WHERE state = 'succeeded'", toBe: 10, on: fixture.connection))
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'tally scheduler'
                """, toBe: 1, on: fixture.connection), "\(scheduler.log)")
            let doneBefore = try await Fixtures.count(
                "SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'", on: fixture.connection)
            #expect(doneBefore < 120, "the restart comes in the middle of the run")
            // system(3), not Process: the restarted server inherits Process's
            // exit-watching descriptor and would look like a child that never ends.
            #expect(system("\(pgCtl) -m \(mode) -w restart >/dev/null 2>&1") == 0)

            // The fixture's own connection died with the server: use a new one.
            let connection = try await Connection.connect(fixture.configuration)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", toBe: 0, on: connection,
                timeout: .seconds(120)))
            await fixture.simulator.state.setFaults(FaultSpec())
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == 120)
            let after = SyncFixture(simulator: fixture.simulator, configuration: fixture.configuration, connection: connection,
                                    tenantIDs: fixture.tenantIDs, organizations: fixture.organizations)
            #expect(try await after.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == needed, "no change posted twice")
            #expect(workers.allSatisfy { $0.process.isRunning }, "workers survived the restart")

            // The scheduler reconnected too: a tenant that becomes due now gets its run, and the workers work it.
            let tenant = fixture.tenantIDs[0]
            try await connection.execute("""
                UPDATE tenants SET schedule_kind = 'daily', time_zone = 'UTC',
                       schedule_time = (now() AT TIME ZONE 'UTC' - interval '1 second')::time
                WHERE tenant_id = \(tenant)
                """)
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM runs WHERE tenant_id = \(tenant) AND trigger = 'daily'
                """, toBe: 1, on: connection, timeout: .seconds(60)), "\(scheduler.log)")
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM results r JOIN runs USING (tenant_id, run_id)
                WHERE r.tenant_id = \(tenant) AND runs.trigger = 'daily' AND r.outcome = 'succeeded'
                """, toBe: 40, on: connection, timeout: .seconds(60)))
            #expect(scheduler.process.isRunning, "the scheduler survived the restart")
            #expect(scheduler.log.contains("scheduler tick failed; retrying"), "the restart reached the scheduler")
            scheduler.signal(SIGTERM)
            #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0)
            await workers.stopAll()
        }
    }
}
