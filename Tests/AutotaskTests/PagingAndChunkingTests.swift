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
