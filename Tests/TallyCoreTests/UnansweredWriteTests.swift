import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// A write whose outcome is unknown is never posted again until Tally knows
/// it did not land (issue 17, point 2).
@Suite(.serialized)
struct UnansweredWriteTests {
    /// Every adjustment is answered 504 at once and applied 1.5 s later, as when a
    /// gateway gives up while Autotask goes on. The retry waits until the post is
    /// older than the timeout plus a margin (6 s with the fixture's 3 s timeout),
    /// re-reads, and finds the change made: one adjustment each, not two.
    @Test func aWriteAppliedAfterItsAnswerWasLostIsConfirmedByReReadNotPostedAgain() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let needed = try await fixture.makeEverySyncAChange(faults: "late=1,lateBy=1500ms")
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            await workers.stopAll()
            try await Task.sleep(for: .seconds(2))  // writes still on their way land
            let audit = try await AdjustmentAudit.audit(
                tenantIDs: fixture.tenantIDs, needed: needed, simulator: fixture.simulator.state, on: fixture.connection)
            #expect(audit.doubled == 0 && audit.lost == 0, "\(audit)")
            #expect(await fixture.tallyAdjustments().count == needed.count, "one adjustment per change")
            // Every post is late: each adjustment and each adjustment's audit note (found by its marker, not posted again).
            #expect(await fixture.simulator.state.statistics().faultsInjected["late"] == needed.count * 2)
            let results = try await fixture.connection.query("SELECT outcome, reason_code, message FROM results")
            #expect(results.count == needed.count)
            for row in results {
                let message: String = try row.decode("message")
                #expect(try row.decode("outcome", as: String.self) == "succeeded", "\(message)")
                #expect(message.hasPrefix("adjustment confirmed by re-read"), "\(message)")
            }
        }
    }
}
