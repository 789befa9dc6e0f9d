import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Syncs on the last day of a billing period read the units in force under
/// either of Autotask's row ends, and a service with no row for today is never
/// read as 0 (issue 17, point 1).
@Suite(.serialized)
struct UnitsInForceSyncTests {
    /// Today in UTC (the tenants' time zone), as the simulator's fixed day.
    static func today() -> SimDay {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return SimDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// Every contract of db1 starts a year before tomorrow, so today is the last day of a billing period.
    static func periodEndingToday(_ convention: SimUnitRowEnds, today: SimDay) -> (inout SimWorld) -> Void {
        { world in
            let start = SimDay(ordinal: today.ordinal + 1).adding(months: -12)
            world.today = today
            world.databases[0].unitRowEnds = convention
            for index in world.databases[0].contracts.indices {
                world.databases[0].contracts[index].startDate = start
                world.databases[0].contracts[index].endDate = start.adding(months: 36)
            }
            for index in (world.databases[0].adjustments ?? []).indices {
                world.databases[0].adjustments?[index].effectiveDate = start
            }
        }
    }

    @Test(arguments: [SimUnitRowEnds.nextStart, .periodLastDay])
    func syncsOnAPeriodsLastDayWriteEachChangeOnce(_ convention: SimUnitRowEnds) async throws {
        let today = Self.today()
        let tomorrow = SimDay(ordinal: today.ordinal + 1)
        try #require(tomorrow.adding(months: -12).adding(months: 12) == tomorrow, "a start a year before tomorrow exists")
        try await SyncFixture.with(tenants: 1, organizations: 6, world: Self.periodEndingToday(convention, today: today)) { fixture in
            let connection = fixture.connection
            let rows = await fixture.simulator.state.units(database: "db1") ?? []
            #expect(rows.contains { $0.units > 0 }, "seeded units to start from")
            let needed = try await AdjustmentAudit.neededChanges(tenantIDs: fixture.tenantIDs, simulator: fixture.simulator.state, on: connection)
            let workers = try fixture.startWorkers(1)
            for _ in 1...2 {
                _ = try await fixture.syncNowAll()
                #expect(try await fixture.waitForQuietQueue())
            }
            await workers.stopAll()
            #expect(try await fixture.mismatches() == [], "units equal usage (\(convention))")
            #expect(await fixture.tallyAdjustments().count == needed.count, "each change written once (\(convention))")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results
                WHERE outcome <> 'succeeded' OR (reason_code IS DISTINCT FROM 'unchanged' AND run_id = (SELECT max(run_id) FROM runs))
                """, on: connection) == 0, "the second run found every target in place")
        }
    }

    @Test func aServiceWithNoUnitRowForTodayFailsUnitsUnknownAndPostsNothing() async throws {
        let today = Self.today()
        let world: (inout SimWorld) -> Void = { world in
            world.today = today
            world.databases[0].contractServices[0].unitsFrom = SimDay(ordinal: today.ordinal + 1)
        }
        try await SyncFixture.with(tenants: 1, organizations: 2, world: world) { fixture in
            let gap = try #require(await fixture.simulator.state.world().databases.first?.contractServices.first)
            let organization = Int64(gap.contractID - 1_100_000)
            let product = gap.serviceID == 1_000_001 ? "edr" : "m365"
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            await workers.stopAll()
            let result = try await fixture.connection.query("""
                SELECT outcome, reason_code, message FROM results
                WHERE organization_id = \(organization) AND product = \(product)
                """)
            try #require(result.count == 1)
            #expect(try result[0].decode("outcome", as: String.self) == "failed")
            #expect(try result[0].decode("reason_code", as: String.self) == "units_unknown")
            let message: String = try result[0].decode("message")
            #expect(message.contains("ContractServiceUnits") && message.contains("\(gap.contractID)") && message.contains("\(today)"), "\(message)")
            #expect(await fixture.tallyAdjustments().filter { $0.contractServiceID == gap.id }.isEmpty, "nothing posted")
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: fixture.connection) == 3)
        }
    }
}
