import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// `tally sync --wait` ends with what happened, counted in words, and a held
/// change names the whole command that approves it (issue 20's "tried as a
/// new user" list).
@Suite(.serialized)
struct SyncWaitTests {
    @Test func syncWaitEndsWithWhatHappenedAndTheCommandThatApprovesAHeldChange() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let cli = TallyCLI(fixture)
            let db = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await db.execute("UPDATE usage SET units = 40 WHERE tenant_id = \(tenant) AND product = 'edr'")
            let workers = try fixture.startWorkers(1)
            let first = try cli.run(["sync", "msp-1", "--product", "edr", "--wait", "--timeout-seconds", "60"])
            #expect(first.status == 0, "\(first.output)\(first.error)")
            #expect(first.output.contains("3 jobs queued for msp-1") && first.output.contains("finished: 3 succeeded"), "\(first.output)")

            try await db.execute("UPDATE tenants SET guard_max_drop_percent = 50 WHERE tenant_id = \(tenant)")
            try await db.execute("UPDATE usage SET units = 0 WHERE tenant_id = \(tenant) AND product = 'edr' AND organization_id = 1")
            let second = try cli.run(["sync", "msp-1", "--org", "1", "--product", "edr", "--wait", "--timeout-seconds", "60"])
            #expect(second.status == 0, "\(second.output)\(second.error)")
            let held: Int64 = try await db.query("SELECT job_id FROM results WHERE outcome = 'held'")[0].decode("job_id")
            #expect(second.output.contains("1 job queued for msp-1"), "\(second.output)")
            #expect(second.output.contains("Approve: tally jobs approve msp-1 \(held)"), "\(second.output)")
            #expect(second.output.contains("finished with 1 held change (0 succeeded)"), "\(second.output)")
            let status = try cli.run(["status", "msp-1"])
            #expect(status.output.contains("Approve: tally jobs approve msp-1 \(held) --by NAME"), "the whole command, id included: \(status.output)")

            let approve = try cli.run(["jobs", "approve", "msp-1", "\(held)"])
            #expect(approve.status == 0, "\(approve.output)\(approve.error)")
            await workers.stopAll()
        }
    }

    /// A tenant-wide cause is said once for the run, with the count, not once per job.
    @Test func aCauseSharedByEverySyncIsSaidOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let cli = TallyCLI(fixture)
            let wrong = try cli.run(["tenant", "credentials", "msp-1", "--secret-stdin"], input: "not-the-secret\n")
            #expect(wrong.status == 0, "\(wrong.error)")
            let workers = try fixture.startWorkers(1)
            let sync = try cli.run(["sync", "msp-1", "--wait", "--timeout-seconds", "60"])
            await workers.stopAll()
            #expect(sync.status == 1, "\(sync.output)\(sync.error)")
            let rows = sync.output.split(separator: "\n").filter { $0.contains("failed") && !$0.contains("done,") }
            #expect(rows.count == 1, "\(sync.output)")
            #expect(rows.first?.contains("1, 2, 3") == true && rows.first?.contains("edr, m365") == true, "\(sync.output)")
            #expect(rows.first?.contains("(6 syncs)") == true, "\(sync.output)")
            #expect(sync.output.contains("finished with 6 failures (0 succeeded)"), "\(sync.output)")
        }
    }
}
