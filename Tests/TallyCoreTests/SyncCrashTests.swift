import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Workers killed with SIGKILL at random moments while they sync: every
/// job still ends, every contract ends at its usage, and no change is posted twice.
@Suite(.serialized)
struct SyncCrashTests {
    /// Issue 9, scenario 1 (short form; `make chaos` runs 10,000 jobs over 50
    /// tenants): every sync a change, 300 jobs over 10 tenants, a random worker
    /// SIGKILLed and replaced every 1–2 s while the run lasts (up to 20 s).
    @Test func killedWorkersNeverLoseOrDoubleAnAdjustment() async throws {
        try await SyncFixture.with(tenants: 10, organizations: 15) { fixture in
            let connection = fixture.connection
            let state = fixture.simulator.state
            // Slow Autotask down so that the run spans the kills and they land between reads, posts and commits.
            let needed = try await fixture.makeEverySyncAChange(faults: "latency=150")
            #expect(needed.count == 300)
            let arguments = ["--concurrency", "4", "--batch-size", "10", "--lease-seconds", "2", "--retry-base-seconds", "0.2"]
            var workers = try fixture.startWorkers(3, arguments: arguments)
            _ = try await fixture.syncNowAll()
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            let killing = ContinuousClock.now
            while ContinuousClock.now - killing < .seconds(20),
                  try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection) > 0 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1000...2000, using: &generator)))
                let victim = Int.random(in: 0..<workers.count, using: &generator)
                workers[victim].signal(SIGKILL)
                _ = await workers[victim].waitForExit()
                kills += 1
                // One snapshot: the counts agree with the jobs mid-run too.
                #expect(try await Fixtures.queuedCountMismatches(on: connection) == [])
                workers[victim] = try WorkerProcess(fixture.configuration, arguments: arguments, environment: fixture.workerEnvironment)
            }
            #expect(kills >= 3, "the run outlasted a few kills")
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(120)))
            await state.setFaults(FaultSpec())

            let audit = try await AdjustmentAudit.audit(tenantIDs: fixture.tenantIDs, needed: needed, simulator: state, on: connection)
            #expect(audit.lost == 0 && audit.doubled == 0, "\(audit) after \(kills) kills")
            #expect(audit.posted == needed.count, "\(audit)")
            let notes = await NoteAudit.audit(databases: fixture.tenantIDs.count, simulator: state)
            #expect(notes.notes == audit.posted && notes.missing == 0 && notes.doubled == 0, "\(notes) after \(kills) kills")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == 300)
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection) == 0)
            #expect(try await Fixtures.queuedCountMismatches(on: connection) == [])
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE attempts > 1", on: connection) > 0,
                    "kills landed while jobs ran")
            await workers.stopAll()
        }
    }

    /// The worst moment: Autotask applied the adjustment, its answer has not
    /// arrived, and the worker dies. The job runs again, re-reads, and writes nothing.
    @Test func aWorkerKilledAfterAutotaskAcceptedItsWriteDoesNotWriteAgain() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            let current = await fixture.simulator.state.units(database: "db1")?
                .first { $0.contractID == 1_100_001 && $0.serviceID == 1_000_001 }?.units ?? 0
            try await connection.execute("""
                UPDATE usage SET units = \(current + 5) WHERE tenant_id = \(tenant) AND organization_id = 1 AND product = 'edr'
                """)
            await fixture.simulator.state.setFaults(try FaultSpec(parsing: "lost=1,hangFor=4s"))
            let arguments = ["--concurrency", "1", "--lease-seconds", "2", "--retry-base-seconds", "0.2"]
            let doomed = try WorkerProcess(fixture.configuration, arguments: arguments, environment: fixture.workerEnvironment)
            let run = try await Runs.syncNow(tenantID: tenant, organizationID: 1, product: "edr", on: connection)
            let deadline = ContinuousClock.now + .seconds(30)
            while await fixture.tallyAdjustments().isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(await fixture.tallyAdjustments().count == 1, "Autotask applied the write")
            doomed.signal(SIGKILL)
            _ = await doomed.waitForExit()
            await fixture.simulator.state.setFaults(FaultSpec())

            let survivor = try WorkerProcess(fixture.configuration, arguments: arguments, environment: fixture.workerEnvironment)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            #expect(await fixture.tallyAdjustments().count == 1, "the write was not repeated")
            #expect(try await fixture.mismatches().filter { $0.contains("org 1 edr") } == [])
            let result = try await connection.query("""
                SELECT outcome, reason_code, units_before, attempts FROM results WHERE run_id = \(run.runID)
                """)
            try #require(result.count == 1)
            #expect(try result[0].decode("outcome", as: String.self) == "succeeded")
            #expect(try result[0].decode("reason_code", as: String.self) == "unchanged")
            #expect(try result[0].decode("units_before", as: Int.self) == current + 5)
            #expect(try result[0].decode("attempts", as: Int.self) == 2)
            survivor.signal(SIGTERM)
            _ = await survivor.waitForExit()
        }
    }

    /// Two Sync Nows of one tenant at once: jobs of the same organization and
    /// product run in different tasks at the same time, and still add once.
    @Test func overlappingRunsOfOneTenantAddOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 40) { fixture in
            let needed = try await fixture.mismatches().count
            await fixture.simulator.state.setFaults(try FaultSpec(parsing: "latency=20"))
            // Each run is one batch: two tasks read the same units, then write in the same order.
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "4", "--batch-size", "80"])
            let tenant = fixture.tenantIDs[0]
            _ = try await Runs.syncNow(tenantID: tenant, on: fixture.connection)
            _ = try await Runs.syncNow(tenantID: tenant, on: fixture.connection)
            #expect(try await fixture.waitForQuietQueue())
            await fixture.simulator.state.setFaults(FaultSpec())
            #expect(try await fixture.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == needed)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: fixture.connection) == 160)
            await workers.stopAll()
        }
    }
}
