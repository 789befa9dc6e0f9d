import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Issue 9, scenario 4 (short form; `make chaos` holds the outage 30 s):
/// Autotask answers every call with 503 for 6 s in the middle of a run. Jobs
/// back off without running out of attempts and finish after it: every
/// contract at its usage, no change posted twice.
@Suite(.serialized)
struct ChaosOutageTests {
    @Test func jobsBackOffThroughAnOutageAndFinishAfterIt() async throws {
        try await SyncFixture.with(tenants: 4, organizations: 20) { fixture in
            let connection = fixture.connection
            let state = fixture.simulator.state
            let needed = try await fixture.makeEverySyncAChange(faults: "latency=100")
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "4", "--batch-size", "10", "--retry-base-seconds", "0.5"])
            _ = try await fixture.syncNowAll()
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(60)) {
                try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'", on: connection) >= 10
            })
            await state.setFaults(try FaultSpec(parsing: "latency=100,outage=on"))
            // The outage lasting 6 s is the point: jobs must back off through all of it without running out of attempts.
            try await Task.sleep(for: .seconds(6))
            let duringOutage = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND attempts > 0 AND last_error IS NOT NULL
                """, on: connection)
            let unfinished = try await Fixtures.count(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection)
            await state.setFaults(try FaultSpec(parsing: "latency=100"))
            let refused = await state.statistics().faultsInjected["outage", default: 0]
            #expect(unfinished > 0, "the outage came in the middle of the run")
            #expect(duringOutage > 0, "jobs met the outage and were put back to retry")
            #expect(refused > 0)

            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(120)))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == 160)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE attempts > 1", on: connection) > 0)
            let audit = try await AdjustmentAudit.audit(tenantIDs: fixture.tenantIDs, needed: needed, simulator: state, on: connection)
            #expect(audit.lost == 0 && audit.doubled == 0, "\(audit); \(refused) calls refused by the outage")
            await workers.stopAll()
        }
    }
}
