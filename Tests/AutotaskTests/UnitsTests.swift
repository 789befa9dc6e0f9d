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
            for (day, units) in expected {
                let rows = try await at.contractServiceUnits(contractIDs: [Fixture.recurring], on: day)
                #expect(rows.map(\.units) == [units], "units on \(day)")
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
}
