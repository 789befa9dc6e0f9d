@testable import Huntress
import Foundation
import TallySim
import Testing

@Suite("Listing and details against the simulator")
struct ListingTests {
    @Test func twelveHundredOrganizationsInThreeRequests() async throws {
        try await Fixture.with(organizations: 1_200) { f in
            let organizations = try await f.session.organizations()
            #expect(organizations.count == 1_200)
            #expect(Set(organizations.map(\.id)) == Set((1...1_200).map { 1_000_000 + $0 }))
            let records = await f.log.records
            #expect(records.count == 3)
            #expect(records.allSatisfy { $0.keyID == "hk-pub-1" && $0.path == "organizations" && $0.status == 200 })
            #expect(await f.log.permits == ["hk-pub-1", "hk-pub-1", "hk-pub-1"])
            #expect(await f.state.huntressStatistics().requests["hk-pub-1"] == 3)

            let first = try #require(organizations.first { $0.id == 1_000_001 })
            #expect(first.name == "Customer 1-1" && first.key == "customer-1-1" && first.accountID == 1)
            #expect(first.agentsCount != nil && first.billableIdentityCount != nil)
            #expect(first.createdAt != nil && first.updatedAt != nil)
        }
    }

    @Test func detailHasBillableCounts() async throws {
        try await Fixture.with { f in
            let id = 1_000_005
            #expect(await f.state.setHuntressCounts(id, SimHuntressCounts(
                agentsCount: 40, billableAgentsCount: 37,
                identityProviders: [
                    SimHuntressIdentityProvider(type: "microsoft", tenantID: "abcd-1234", billableIdentities: 100, totalIdentities: 150),
                    SimHuntressIdentityProvider(type: "google", billableIdentities: 50, totalIdentities: 75),
                ])))
            let detail = try await f.session.organization(id: id)
            #expect(detail.organization.id == id && detail.organization.name == "Customer 1-5")
            #expect(detail.organization.agentsCount == 40)
            #expect(detail.organization.billableIdentityCount == 150)
            let usage = try #require(detail.usage)
            #expect(usage.billableAgents == 37 && usage.edr?.unresponsiveAgentsCount == 0)
            #expect(usage.billableIdentities == 150 && usage.totalIdentities == 225)
            #expect(usage.itdr?.map(\.type) == ["microsoft", "google"])
            #expect(usage.itdr?.first?.identityProviderTenantID == "abcd-1234")
            #expect(await f.log.records.map(\.endpoint) == ["organizations/{id}"])
            #expect(await f.log.records.map(\.path) == ["organizations/\(id)"])
        }
    }

    @Test func unknownOrAnotherAccountsOrganizationIsNotFound() async throws {
        try await Fixture.with { f in
            for id in [999, Fixture.otherOrganization] {
                let error = try #require(await Fixture.huntressError { _ = try await f.session.organization(id: id) })
                #expect(error.reason == .notFound && error.status == 404 && !error.isTransient)
                #expect(Fixture.leaksNoSecret(error))
            }
            #expect(try await f.client.session(Fixture.otherKey).organization(id: Fixture.otherOrganization).organization.name == "Elsewhere")
        }
    }

    @Test func renameAddAndRemoveThroughTheAdminAPIShowInTheNextList() async throws {
        try await Fixture.with(organizations: 5) { f in
            #expect(try await f.admin(.PUT, "/_sim/huntress/organizations/1000002/name", #"{"name":"Renamed Ltd"}"#).status == 200)
            #expect(try await f.admin(.DELETE, "/_sim/huntress/organizations/1000003").status == 200)
            let added = try await f.admin(.POST, "/_sim/huntress/accounts/1/organizations", #"{"name":"Newcomer","agentsCount":9}"#)
            #expect(added.status == 200)
            // Ids are unique across accounts: the next after account 2's 2,000,001.
            let addedID = try JSONDecoder().decode(SimHuntressOrganization.self, from: Data(added.body.utf8)).id
            #expect(addedID == 2_000_002)
            let counts = #"{"agentsCount":12,"billableAgentsCount":10,"billableIdentities":4}"#
            #expect(try await f.admin(.PUT, "/_sim/huntress/organizations/1000001/counts", counts).status == 200)

            let organizations = try await f.session.organizations()
            #expect(organizations.count == 5)
            #expect(organizations.first { $0.id == 1_000_002 }?.name == "Renamed Ltd")
            #expect(!organizations.contains { $0.id == 1_000_003 })
            let newcomer = try #require(organizations.first { $0.id == addedID })
            #expect(newcomer.name == "Newcomer" && newcomer.agentsCount == 9 && newcomer.key == "org2000002")
            let changed = try await f.session.organization(id: 1_000_001)
            #expect(changed.organization.agentsCount == 12 && changed.usage?.billableAgents == 10 && changed.usage?.billableIdentities == 4)

            // Unknown ones answer 404; a removed organization's detail too.
            #expect(try await f.admin(.DELETE, "/_sim/huntress/organizations/1000003").status == 404)
            #expect(try await f.admin(.POST, "/_sim/huntress/accounts/9/organizations", #"{"name":"x"}"#).status == 404)
            let removed = await Fixture.huntressError { _ = try await f.session.organization(id: 1_000_003) }
            #expect(removed?.reason == .notFound)
        }
    }
}
