@testable import Autotask
import Foundation
import TallySim
import Testing

@Suite("Units across billing periods")
struct UnitsTests {
    static func day(_ m: Int, _ d: Int) -> AutotaskDay { AutotaskDay(year: 2026, month: m, day: d) }

    @Test func unitsFollowAdjustmentsAcrossPeriods() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)
            for (date, change) in [(Self.day(1, 1), 10), (Self.day(2, 10), 5), (Self.day(3, 1), -3), (Self.day(3, 20), 2)] {
                _ = try await at.createContractServiceAdjustment(
                    ContractServiceAdjustment(contractID: Fixture.recurring, serviceID: Fixture.edr, effectiveDate: date, unitChange: change))
            }
            let expected: [(AutotaskDay, Int)] = [
                (Self.day(1, 1), 10), (Self.day(1, 31), 10), (Self.day(2, 1), 10), (Self.day(2, 9), 10),
                (Self.day(2, 10), 15), (Self.day(2, 28), 15), (Self.day(3, 1), 12), (Self.day(3, 19), 12),
                (Self.day(3, 20), 14), (Self.day(4, 1), 14), (Self.day(12, 31), 14),
            ]
            let key = ContractServiceKey(contractID: Fixture.recurring, serviceID: Fixture.edr)
            for (day, units) in expected {
                let rows = try await at.unitsInForce(contractIDs: [Fixture.recurring], on: day)
                #expect(rows[key] == units, "units on \(day)")
                // The simulator's own account agrees.
                let sim = await f.state.units(database: "acme", on: SimDay(day.description))
                #expect(sim?.first { $0.serviceID == Fixture.edr }?.units == units, "simulator units on \(day)")
            }

            let inForce = try await at.unitsInForce(contractIDs: [Fixture.recurring, Fixture.inactive], on: Self.day(3, 1))
            #expect(inForce == [ContractServiceKey(contractID: Fixture.recurring, serviceID: Fixture.edr): 12])

            // February is split at the 10th; rows share their boundary day.
            let all = try await at.contractServiceUnits(contractIDs: [Fixture.recurring])
            let february = all.filter { $0.startDate >= Self.day(2, 1) && $0.startDate < Self.day(3, 1) }
            #expect(february.map(\.startDate) == [Self.day(2, 1), Self.day(2, 10)])
            #expect(february.map(\.endDate) == [Self.day(2, 10), Self.day(3, 1)])
            #expect(february.map(\.units) == [10, 15])
            #expect(all.first?.startDate == Self.day(1, 1))
            #expect(Set(all.map(\.id)).count == all.count)
        }
    }

    /// Both ways Autotask ends a row: on the next row's start, or (for a billing
    /// period's last row) on the period's last day. The units in force are the same
    /// under both, on every day of the year, period ends and split days included.
    @Test(arguments: [SimUnitRowEnds.nextStart, .periodLastDay])
    func unitsInForceOnEveryDayUnderEitherRowEnd(_ convention: SimUnitRowEnds) async throws {
        var world = Fixture.world()
        world.databases[0].unitRowEnds = convention
        try await Fixture.with(world: world) { f in
            let at = f.client.session(Fixture.full)
            for (date, change) in [(Self.day(1, 1), 10), (Self.day(1, 31), 5), (Self.day(2, 10), -3), (Self.day(3, 1), 2)] {
                _ = try await at.createContractServiceAdjustment(
                    ContractServiceAdjustment(contractID: Fixture.recurring, serviceID: Fixture.edr, effectiveDate: date, unitChange: change))
            }
            let rows = try await at.contractServiceUnits(contractIDs: [Fixture.recurring])
            let january = rows.filter { $0.startDate < Self.day(2, 1) }
            if convention == .periodLastDay {
                // January is split on the 31st; its last row ends on the 31st itself.
                #expect(january.map(\.endDate) == [Self.day(1, 31), Self.day(1, 31)])
            } else {
                #expect(january.map(\.endDate) == [Self.day(1, 31), Self.day(2, 1)])
            }
            let key = ContractServiceKey(contractID: Fixture.recurring, serviceID: Fixture.edr)
            var day = Self.day(1, 1)
            var checked = 0
            while day <= Self.day(4, 30) {
                let expected = await f.state.units(database: "acme", on: SimDay(day.description))?.first { $0.serviceID == Fixture.edr }?.units
                let inForce = AutotaskSession.unitsInForce(rows.filter { $0.covers(day) })
                #expect(inForce[key] == expected, "units on \(day) (\(convention))")
                checked += 1
                day = AutotaskDay(parsing: SimDay(ordinal: SimDay(day.description)!.ordinal + 1).description)!
            }
            #expect(checked == 120)
            // And through the API's own date filter, on the days that matter.
            for (day, units) in [(Self.day(1, 30), 10), (Self.day(1, 31), 15), (Self.day(2, 9), 15), (Self.day(2, 28), 12), (Self.day(3, 1), 14)] {
                #expect(try await at.unitsInForce(contractIDs: [Fixture.recurring], on: day)[key] == units, "units on \(day)")
            }
        }
    }

    /// A service whose unit rows start after today has no units in force: absent, never 0.
    @Test func aServiceWithoutARowForTodayHasNoUnitsInForce() async throws {
        var world = Fixture.world()
        world.databases[0].contractServices[0].unitsFrom = SimDay(year: 2026, month: 4, day: 1)
        try await Fixture.with(world: world) { (f: Fixture) async throws in
            let at = f.client.session(Fixture.full)
            #expect(try await at.contractServices(contractIDs: [Fixture.recurring]).count == 1)
            #expect(try await at.unitsInForce(contractIDs: [Fixture.recurring], on: Self.day(3, 15)).isEmpty)
            #expect(try await at.unitsInForce(contractIDs: [Fixture.recurring], on: Self.day(4, 1)).count == 1)
        }
    }
}
