@testable import Autotask
import Foundation
import TallySim
import Testing

@Suite("Autotask client against tally-sim")
struct ClientOperationsTests {
    @Test func readsEveryEntity() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)

            let companies = try await at.companies()
            #expect(companies.map(\.id) == [1, 2, 3])
            #expect(try await at.company(id: 2)?.companyName == "Beta")
            #expect(try await at.company(id: 999) == nil)

            let contracts = try await at.contracts(ids: [Fixture.recurring, Fixture.nonRecurring, Fixture.inactive])
            #expect(contracts.count == 3)
            let recurring = try #require(try await at.contract(id: Fixture.recurring))
            #expect(recurring.isRecurringService && recurring.isActive)
            #expect(recurring.startDate == AutotaskDay(year: 2026, month: 1, day: 1))
            #expect(recurring.isInForce(on: AutotaskDay(year: 2026, month: 12, day: 31)))
            #expect(!recurring.isInForce(on: AutotaskDay(year: 2027, month: 1, day: 1)))
            #expect(try await at.contracts(companyIDs: [3]).map(\.id).sorted() == [Fixture.inactive, Fixture.expired])
            let nonRecurring = try #require(try await at.contract(id: Fixture.nonRecurring))
            #expect(!nonRecurring.isRecurringService)

            #expect(try await at.services().map(\.id) == [Fixture.edr, Fixture.m365])
            #expect(try await at.service(id: Fixture.m365)?.name == "Managed ITDR")
            #expect(try await at.services(ids: [Fixture.edr]).count == 1)

            let onContract = try await at.contractServices(contractIDs: [Fixture.recurring])
            #expect(onContract.map(\.serviceID) == [Fixture.edr])

            let today = AutotaskDay(year: 2026, month: 3, day: 15)
            #expect(try await at.contractServiceUnits(contractIDs: [Fixture.recurring], on: today).map(\.units) == [0])

            let id = try await at.createContractServiceAdjustment(
                ContractServiceAdjustment(contractID: Fixture.recurring, serviceID: Fixture.edr, effectiveDate: today, unitChange: 7))
            #expect(id > 0)
            // The split row ends on the 15th and the new one starts then: both include
            // the day, and the later one is in force.
            let units = try await at.contractServiceUnits(contractIDs: [Fixture.recurring], on: today)
            #expect(units.map(\.units) == [0, 7])
            #expect(units.allSatisfy { $0.contractServiceID == 1000 })
            #expect(try await at.unitsInForce(contractIDs: [Fixture.recurring], on: today)
                == [ContractServiceKey(contractID: Fixture.recurring, serviceID: Fixture.edr): 7])
            let log = try #require(await f.state.adjustments(database: "acme"))
            #expect(log.map(\.unitChange) == [7] && log.first?.id == id)

            let threshold = try await at.thresholdInformation()
            #expect(threshold.externalRequestThreshold == 10_000)
            #expect(threshold.currentTimeframeRequestCount >= 14)

            // An adjustment for a service not yet on the contract adds it, as Autotask does.
            _ = try await at.createContractServiceAdjustment(
                ContractServiceAdjustment(contractID: Fixture.recurring, serviceID: Fixture.m365, effectiveDate: today, unitChange: 4))
            #expect(try await at.contractServices(contractIDs: [Fixture.recurring]).map(\.serviceID).sorted() == [Fixture.edr, Fixture.m365])

            // The hook saw every request, the zone lookup included.
            let records = await f.records.records
            #expect(records.first?.entity == "zoneInformation")
            #expect(records.filter { $0.entity == "zoneInformation" }.count == 1)
            #expect(records.allSatisfy { $0.userName == Fixture.full.userName || $0.entity == "zoneInformation" })
            #expect(records.contains { $0.entity == "ContractServiceAdjustments" && $0.method == "POST" && $0.status == 200 })
        }
    }

    @Test func includeFieldsAndFilterOperators() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)
            let query = AutotaskQuery(
                filter: [.or([.field("companyName", .beginsWith, .string("al")), .field("companyName", .contains, .string("mm"))])],
                includeFields: ["companyName"])
            let companies = try await at.companies(query)
            #expect(companies.map(\.id) == [1, 3])
            #expect(companies.allSatisfy { $0.isActive == nil && $0.companyName != nil })

            let later = try await at.contracts(AutotaskQuery(filter: [
                .field("startDate", .gt, .day(AutotaskDay(year: 2025, month: 1, day: 1))),
                .field("contractType", .eq, .int(ContractType.recurringService)),
                .field("status", .noteq, .int(ContractStatus.inactive)),
            ]))
            #expect(later.map(\.id) == [Fixture.recurring])
        }
    }

    @Test func querySendsAutotaskWireNames() throws {
        let query = AutotaskQuery(filter: [.isIn("id", [1, 2]), .exists("endDate")], includeFields: ["id"], maxRecords: 900)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(query), as: UTF8.self)
        #expect(text == #"{"IncludeFields":["id"],"MaxRecords":500,"filter":[{"field":"id","op":"in","value":[1,2]},{"field":"endDate","op":"exist"}]}"#)
        #expect(query.conditionCount == 3)
    }

    @Test func credentialsNeverShowTheSecret() {
        var dumped = ""
        dump(Fixture.full, to: &dumped)
        let text = "\(Fixture.full) \(String(reflecting: Fixture.full)) \(dumped) \(Fixture.full.customMirror.children.map { "\($0.value)" })"
        #expect(!text.contains(Fixture.full.secret))
        #expect(text.contains(Fixture.full.userName))
    }

    @Test func autotaskDays() throws {
        #expect(AutotaskDay(parsing: "2026-02-10T00:00:00Z") == AutotaskDay(year: 2026, month: 2, day: 10))
        #expect(AutotaskDay(parsing: "2026-02-10T00:00:00.000") == AutotaskDay(year: 2026, month: 2, day: 10))
        #expect(AutotaskDay(parsing: "garbage") == nil)
        #expect(AutotaskDay(year: 2026, month: 2, day: 9) < AutotaskDay(year: 2026, month: 2, day: 10))
        #expect(ZoneURL.versionedBase(from: "https://webservices5.autotask.net/ATServicesRest//")?.absoluteString
            == "https://webservices5.autotask.net/ATServicesRest/V1.0/")
        #expect(ZoneURL.versionedBase(from: "https://webservices5.autotask.net/ATServicesRest")?.absoluteString
            == "https://webservices5.autotask.net/ATServicesRest/V1.0/")
    }
}
