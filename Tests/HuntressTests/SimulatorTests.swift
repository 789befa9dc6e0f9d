import Foundation
@testable import Huntress
import NIOHTTP1
import TallySim
import Testing

/// The simulated Huntress as a client other than Tally's sees it.
@Suite("tally-sim's Huntress")
struct SimulatorTests {
    @Test func pagingAndAuthenticationRules() async throws {
        try await Fixture.with(organizations: 25) { f in
            let auth = [("Authorization", Fixture.key.authorization)]
            let first = try await f.admin(.GET, "/huntress/v1/organizations", headers: auth)
            #expect(first.status == 200)
            let page = try JSONDecoder().decode(OrganizationsPage.self, from: Data(first.body.utf8))
            // Default 10, highest id first, and a token while more exist.
            #expect(page.organizations.map(\.id) == (16...25).reversed().map { 1_000_000 + $0 })
            let token = try #require(page.pagination?.nextPageToken)
            #expect(first.body.contains(#""next_page_url":"http://127.0.0.1:\#(f.simulator.port)/huntress/v1/organizations?limit=10&page_token="#))
            let last = try await f.admin(.GET, "/huntress/v1/organizations?limit=500&page_token=\(token)", headers: auth)
            let rest = try JSONDecoder().decode(OrganizationsPage.self, from: Data(last.body.utf8))
            #expect(rest.organizations.count == 15 && rest.pagination?.nextPageToken == nil)

            for query in ["limit=0", "limit=501", "limit=ten", "page_token=nonsense"] {
                #expect(try await f.admin(.GET, "/huntress/v1/organizations?\(query)", headers: auth).status == 400, "\(query)")
            }
            #expect(try await f.admin(.GET, "/huntress/v1/organizations").status == 401)
            #expect(try await f.admin(.GET, "/huntress/v1/organizations", headers: [("Authorization", "Basic !!")]).status == 401)
            #expect(try await f.admin(.GET, "/huntress/v1/agents", headers: auth).status == 404)
            #expect(try await f.admin(.GET, "/huntress/v1/organizations/1000003", headers: auth).body.contains(#""billable_agents_count""#))
        }
    }

    @Test func adminCallsForLimitFaultsStatsAndWorld() async throws {
        try await Fixture.with(organizations: 3, throttleRetries: 0, serverErrorRetries: 0) { f in
            #expect(try await f.admin(.PUT, "/_sim/huntress/limit", #"{"requests":1,"windowSeconds":30}"#).status == 200)
            _ = try await f.session.organizations()
            #expect(await Fixture.huntressError { _ = try await f.session.organizations() }?.reason == .throttled)
            #expect(try await f.admin(.PUT, "/_sim/huntress/limit", #"{"requests":null}"#).status == 200)
            _ = try await f.session.organizations()

            #expect(try await f.admin(.PUT, "/_sim/huntress/faults", "outage=on").body.contains("outage=on"))
            #expect(await Fixture.huntressError { _ = try await f.session.organizations() }?.status == 503)
            #expect(try await f.admin(.PUT, "/_sim/huntress/faults", "bogus=1").status == 400)
            #expect(try await f.admin(.PUT, "/_sim/huntress/faults", "").status == 200)

            let stats = try await f.admin(.GET, "/_sim/huntress/stats")
            let counted = try JSONDecoder().decode(SimHuntressStatistics.self, from: Data(stats.body.utf8))
            #expect(counted.requests["hk-pub-1"] == 3 && counted.throttled["hk-pub-1"] == 1 && counted.faultsInjected["outage"] == 1)
            #expect(try await f.admin(.DELETE, "/_sim/huntress/stats").status == 200)
            #expect(await f.state.huntressStatistics().requests.isEmpty)

            let world = try await f.admin(.GET, "/_sim/huntress/world")
            #expect(world.status == 200 && world.body.contains(#""publicKey":"hk-pub-2""#))
            let generated = try await f.admin(.POST, "/_sim/huntress/generate", #"{"seed":2,"accounts":2,"organizationsPerAccount":4}"#)
            #expect(generated.status == 200)
            let pair = HuntressCredentials(publicKey: "hk-pub-2", privateKey: "hk-priv-2")
            #expect(try await f.client.session(pair).organizations().map(\.id).sorted() == [2_000_001, 2_000_002, 2_000_003, 2_000_004])
            let account = #"{"id":3,"name":"Third","publicKey":"p3","privateKey":"s3","organizations":[{"name":"Only"}]}"#
            #expect(try await f.admin(.POST, "/_sim/huntress/accounts", account).status == 200)
            let only = try await f.client.session(HuntressCredentials(publicKey: "p3", privateKey: "s3")).organizations()
            #expect(only.map(\.name) == ["Only"] && only[0].agentsCount == 0)
            #expect(try await f.admin(.POST, "/_sim/reset").status == 200)
            #expect(await f.state.huntressWorld().accounts.isEmpty)
        }
    }

    @Test func generatedAccountsAreDeterministic() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let a = HuntressGenerator(seed: 4, accounts: 2, organizationsPerAccount: 30).generate()
        let b = HuntressGenerator(seed: 4, accounts: 2, organizationsPerAccount: 30).generate()
        #expect(try encoder.encode(a) == (try encoder.encode(b)))
        let organizations = a.accounts.flatMap(\.organizations)
        #expect(organizations.allSatisfy { $0.billableAgentsCount <= $0.agentsCount && $0.billableAgentsCount >= $0.agentsCount * 9 / 10 })
    }
}
