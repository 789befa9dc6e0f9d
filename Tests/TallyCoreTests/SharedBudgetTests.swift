import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Autotask's hourly threshold is the MSP's, shared with its other
/// integrations: Tally reads the database's own count now and then and waits
/// while it is past the tenant's share (issue 17, point 6).
@Suite(.serialized)
struct SharedBudgetTests {
    static let arguments = ["--concurrency", "4", "--batch-size", "1", "--retry-base-seconds", "0.2"]

    @Test func aDatabaseBusyWithOtherIntegrationsDefersTheTenantsSyncsAndTheDashboardSaysWhy() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            _ = try await fixture.makeEverySyncAChange()
            // Other integrations used 8,500 of the database's 10,000 requests this hour; the tenant's share is 80 %.
            #expect(await fixture.simulator.state.addLoad(database: "db1", requests: 8_500))
            let workers = try fixture.startWorkers(1, arguments: Self.arguments)
            _ = try await fixture.syncNowAll()
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(30)) {
                try await Fixtures.count(
                    "SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND deferred_reason IS NOT NULL", on: fixture.connection) == 6
            })
            await workers.stopAll()
            let jobs = try await fixture.connection.query("SELECT state, coalesce(deferred_reason, last_error, outcome_message, '') AS why FROM jobs")
            let states = try jobs.map { try $0.decode("state", as: String.self) + " " + $0.decode("why", as: String.self) }
            #expect(await fixture.tallyAdjustments().isEmpty, "nothing was written: \(states)")
            let queue = try await fixture.connection.query("SELECT deferred, deferred_reason FROM dashboard.queue")
            try #require(queue.count == 1)
            #expect(try queue[0].decode("deferred", as: Int.self) == 6)
            let reason: String = try queue[0].decode("deferred_reason")
            #expect(reason.contains("has used 85") && reason.contains("of its 10000 requests") && reason.contains("share of 80 %"), "\(reason)")
            #expect(reason.contains("--autotask-share"))
            let reads = await fixture.simulator.state.statistics().requests["db1"]?["ThresholdInformation"]
            #expect(reads == 1, "one reading serves every batch of the interval")
        }
    }

    @Test func underItsShareTheTenantSyncsAndReadsTheCountOncePerInterval() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 4) { fixture in
            let needed = try await fixture.makeEverySyncAChange()
            #expect(await fixture.simulator.state.addLoad(database: "db1", requests: 7_000))
            let workers = try fixture.startWorkers(2, arguments: Self.arguments)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            await workers.stopAll()
            #expect(try await fixture.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == needed.count)
            let reads = await fixture.simulator.state.statistics().requests["db1"]?["ThresholdInformation"]
            #expect(reads == 1, "8 batches on 2 workers, one reading")
        }
    }
}
