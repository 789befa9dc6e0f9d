import Autotask
import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// `tally check` costs O(mappings ÷ 500) requests, not one per record the
/// Autotask database holds (issue 17, point 5).
@Suite(.serialized)
struct TenantCheckCostTests {
    @Test func aCheckOfFiftyMappingsAmongTwoThousandContractsTakesAHandfulOfRequests() async throws {
        let world: (inout SimWorld) -> Void = { world in
            world = WorldGenerator(seed: 7, databases: 1, companiesPerDatabase: 2_000, nonRecurringEvery: nil, inactiveEvery: nil).generate()
        }
        try await SyncFixture.with(tenants: 1, organizations: 50, world: world) { fixture in
            let state = fixture.simulator.state
            #expect(await state.world().databases[0].contracts.count == 2_000)
            await state.resetStatistics()
            let client = AutotaskClient(configuration: AutotaskConfiguration(zoneLookupURL: URL(string: fixture.simulator.lookupURL)!))
            let items = try await TenantCheck.run(
                tenantID: fixture.tenantIDs[0], key: SyncFixture.secretKey, client: client, on: fixture.connection)
            try await client.shutdown()
            #expect(items.allSatisfy { $0.status == .ok }, "\(items.filter { $0.status != .ok })")
            #expect(items.filter { $0.subject.hasPrefix("organization") }.count == 50)
            let requests = await state.statistics().requests["db1"] ?? [:]
            let total = requests.values.reduce(0, +)
            // Two permission probes, the services, the contracts and the services on them: one request each.
            // Zone, the three permission probes (Companies, Contracts, Services), then the services and contracts.
            #expect(total <= 7, "\(requests)")
        }
    }
}
