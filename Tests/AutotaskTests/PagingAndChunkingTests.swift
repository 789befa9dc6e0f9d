@testable import Autotask
import Foundation
import TallySim
import Testing

@Suite("Paging and the 500-condition limit")
struct PagingAndChunkingTests {
    static let credentials = AutotaskCredentials(userName: "api@db1.example", integrationCode: "IC-db1", secret: "secret-db1")

    static func bigWorld() -> SimWorld {
        WorldGenerator(seed: 42, databases: 1, companiesPerDatabase: 1_200, today: SimDay(year: 2026, month: 3, day: 15)).generate()
    }

    @Test func pagesThrough1200Rows() async throws {
        try await Fixture.with(world: Self.bigWorld()) { f in
            let companies = try await f.client.session(Self.credentials).companies()
            #expect(companies.count == 1_200)
            #expect(Set(companies.map(\.id)).count == 1_200)
            // 500 + 500 + 200: one POST, two nextPageUrl GETs.
            let pages = await f.records.records.filter { $0.entity == "Companies" }
            #expect(pages.map(\.method) == ["POST", "GET", "GET"])
            let stats = await f.state.statistics()
            #expect(stats.requests["db1"]?["Companies"] == 3)
        }
    }

    /// A broken `nextPageUrl` ends the query with an error, never with a short
    /// list or a loop (a repeated page would loop forever: the race bounds it).
    @Test(arguments: [PagingFault.garbled, .repeat, .elsewhere])
    func aBrokenNextPageIsAnErrorNotAShortListOrALoop(_ fault: PagingFault) async throws {
        try await Fixture.with(world: Self.bigWorld()) { f in
            await f.state.setFaults(FaultSpec(paging: fault))
            let session = f.client.session(Self.credentials)
            let outcome = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    do {
                        return "answered \(try await session.companies().count) companies"
                    } catch let error as AutotaskError {
                        return "\(error.reason): \(error.message)"
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return "still paging after 10 s"
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            #expect(outcome.hasPrefix("invalidResponse"), "\(fault): \(outcome)")
            #expect(await f.records.count(entity: "Companies") <= 2, "\(fault): stopped at once")
        }
    }

    @Test func aQueryStopsAtThePageLimit() async throws {
        try await Fixture.with(world: Self.bigWorld(), maxPages: 2) { f in
            let error = await Fixture.autotaskError { _ = try await f.client.session(Self.credentials).companies() }
            #expect(error?.reason == .invalidResponse)
            #expect(error?.message.contains("past the limit of 2 pages") == true, "\(String(describing: error))")
            #expect(await f.records.count(entity: "Companies") == 2)
        }
    }

    @Test func splits1200IdsIntoThreeQueries() async throws {
        try await Fixture.with(world: Self.bigWorld()) { f in
            let ids = (1...1_200).map { 1_000_000 + 100_000 + $0 }
            let contracts = try await f.client.session(Self.credentials).contracts(ids: ids + ids.prefix(10))
            #expect(contracts.count == 1_200)
            #expect(Set(contracts.map(\.id)) == Set(ids))
            #expect(await f.records.count(entity: "Contracts") == 3)
        }
    }

    @Test func refusesAQueryOverTheConditionLimit() async throws {
        try await Fixture.with { f in
            let error = await Fixture.autotaskError {
                _ = try await f.client.session(Fixture.full).contracts(AutotaskQuery(filter: [.isIn("id", Array(1...501))]))
            }
            #expect(error?.reason == .validation)
            #expect(await f.records.count(entity: "Contracts") == 0)
        }
    }

    @Test func chunking() {
        #expect(Array(1...1_200).chunked(by: 500).map(\.count) == [500, 500, 200])
        #expect([Int]().chunked(by: 500).isEmpty)
    }
}
