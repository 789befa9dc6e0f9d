import Foundation
import Huntress
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Issue 16: usage from Huntress, read by `usage_refresh` jobs that real
/// worker processes run against tally-sim's Huntress over HTTP.
@Suite(.serialized)
struct UsageRefreshTests {
    static let key = HuntressCredentials(publicKey: "hk-pub-1", privateKey: "hk-priv-1-secret")

    /// Serves `organizations` under the test key and gives the tenant that key.
    static func useHuntress(_ organizations: [SimHuntressOrganization], tenant: Int64, fixture: SyncFixture) async throws {
        await fixture.simulator.state.loadHuntress(SimHuntressWorld(accounts: [SimHuntressAccount(
            id: 1, name: "MSP 1", publicKey: key.publicKey, privateKey: key.privateKey, organizations: organizations)]))
        try await HuntressKey.store(key, tenantID: tenant, key: SyncFixture.secretKey, on: fixture.connection)
    }

    /// Requests a refresh and waits for it to end.
    static func refresh(_ tenant: Int64, fixture: SyncFixture) async throws -> UsageRefreshRequests.Status {
        let job = try await UsageRefreshRequests.request(tenantID: tenant, on: fixture.connection)
        var status: UsageRefreshRequests.Status?
        _ = try await TestDatabase.waitUntil(timeout: .seconds(60)) {
            status = try await UsageRefreshRequests.status(tenantID: tenant, jobID: job, on: fixture.connection)
            return status?.isFinished == true
        }
        return try #require(status)
    }

    static func units(_ tenant: Int64, _ organization: Int, _ product: String, on db: Connection) async throws -> Int? {
        try await db.query("""
            SELECT units FROM usage WHERE tenant_id = \(tenant) AND organization_id = \(Int64(organization)) AND product = \(product)
            """).first?.decode("units")
    }

    @Test func twelveHundredOrganizationsInThreeRequestsAndDetailsOnlyWhereTheyBill() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            try await db.execute("DELETE FROM organizations WHERE tenant_id = \(tenant)")
            let world = HuntressGenerator(seed: 3, accounts: 1, organizationsPerAccount: 1200).generate()
            var organizations = world.accounts[0].organizations
            organizations[7].agentsCount = 0
            organizations[7].billableAgentsCount = 0
            try await Self.useHuntress(organizations, tenant: tenant, fixture: fixture)
            let workers = try fixture.startWorkers(1)

            let first = try await Self.refresh(tenant, fixture: fixture)
            #expect(first.state == "succeeded", "\(first.message ?? "")")
            #expect(first.organizations == 1200 && first.added == 1200 && first.detailReads == 0)
            #expect(await fixture.simulator.state.huntressStatistics().requests[Self.key.publicKey] == 3)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM organizations WHERE tenant_id = \(tenant)", on: db) == 1200)
            // M365's list count is billable; EDR's is every agent, so unmapped organizations get no EDR
            // usage — but one with no agents at all has 0 billable, known from the list.
            #expect(try await Self.units(tenant, organizations[0].id, "m365", on: db) == organizations[0].billableIdentityCount)
            #expect(try await Self.units(tenant, organizations[0].id, "edr", on: db) == nil)
            #expect(try await Self.units(tenant, organizations[7].id, "edr", on: db) == 0)

            // Mapped organizations are billed Huntress's billable agents, one detail read each.
            let mapped = organizations[0..<5].map { Int64($0.id) }
            try await db.execute("""
                UPDATE organizations SET company_id = 1, contract_id = 1 WHERE tenant_id = \(tenant) AND organization_id = ANY (\(mapped)::bigint[])
                """)
            let second = try await Self.refresh(tenant, fixture: fixture)
            #expect(second.detailReads == 5 && second.added == 0)
            #expect(await fixture.simulator.state.huntressStatistics().requests[Self.key.publicKey] == 3 + 5 + 3)
            for organization in organizations[0..<5] {
                #expect(try await Self.units(tenant, organization.id, "edr", on: db) == organization.billableAgentsCount)
            }
            #expect(organizations[0..<5].contains { $0.billableAgentsCount < $0.agentsCount }, "the world bills fewer agents than it has")
            await workers.stopAll()
        }
    }

    @Test func aRenameKeepsTheMappingAndARemovalIsHeldNotZeroed() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            let usage = try await db.query("""
                SELECT organization_id, product, units FROM usage WHERE tenant_id = \(tenant) ORDER BY 1, 2
                """).map { (Int(try $0.decode("organization_id", as: Int64.self)), try $0.decode("product", as: String.self),
                            try $0.decode("units", as: Int.self)) }
            func count(_ organization: Int, _ product: String) -> Int { usage.first { $0.0 == organization && $0.1 == product }!.2 }
            // Huntress counts what Tally has, so a first sync changes nothing.
            let organizations = (1...3).map { id in
                SimHuntressOrganization(id: id, name: "Customer 1-\(id)", agentsCount: count(id, "edr") + 2,
                                        billableAgentsCount: count(id, "edr"), billableIdentities: count(id, "m365"))
            }
            try await Self.useHuntress(organizations, tenant: tenant, fixture: fixture)
            let workers = try fixture.startWorkers(1)
            #expect(try await Self.refresh(tenant, fixture: fixture).state == "succeeded")
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            let posted = await fixture.tallyAdjustments().count
            // The dashboard says where each target's usage came from, and when.
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM dashboard.sync_status
                WHERE tenant_id = \(tenant) AND usage_source = 'huntress' AND usage_age < interval '1 minute'
                """, on: db) == 6)

            _ = await fixture.simulator.state.renameHuntressOrganization(2, to: "Contoso (renamed)")
            _ = await fixture.simulator.state.removeHuntressOrganization(3)
            let refreshed = try await Self.refresh(tenant, fixture: fixture)
            #expect(refreshed.renamed == 1 && refreshed.removed == 1, "\(refreshed)")
            let rows = try await db.query("""
                SELECT organization_id, name, contract_id, removed_at IS NOT NULL AS removed FROM organizations
                WHERE tenant_id = \(tenant) ORDER BY organization_id
                """)
            #expect(try rows[1].decode("name", as: String.self) == "Contoso (renamed)")
            #expect(try rows[1].decode("contract_id", as: Int64?.self) != nil, "the rename kept the mapping")
            #expect(try rows[2].decode("removed", as: Bool.self))

            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            #expect(await fixture.tallyAdjustments().count == posted, "no adjustment for a rename, none yet for a removal")
            let held = try await db.query("""
                SELECT outcome, reason_code, message FROM results
                WHERE tenant_id = \(tenant) AND organization_id = 3 ORDER BY result_id DESC LIMIT 2
                """)
            #expect(held.count == 2)
            for row in held {
                #expect(try row.decode("outcome", as: String.self) == "held")
                #expect(try row.decode("reason_code", as: String.self) == "removed_from_huntress")
                #expect(try row.decode("message", as: String.self).contains("no longer in Huntress"))
            }
            await workers.stopAll()
        }
    }

    @Test func aWrongKeyFailsTheRefreshWithAClearMessageAndNoKeyInIt() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let tenant = fixture.tenantIDs[0]
            try await Self.useHuntress([SimHuntressOrganization(id: 1, name: "Customer 1-1", agentsCount: 3)], tenant: tenant, fixture: fixture)
            let wrong = HuntressCredentials(publicKey: Self.key.publicKey, privateKey: "revoked-private-key")
            try await HuntressKey.store(wrong, tenantID: tenant, key: SyncFixture.secretKey, on: fixture.connection)
            let workers = try fixture.startWorkers(1)
            let status = try await Self.refresh(tenant, fixture: fixture)
            #expect(status.state == "failed")
            let message = status.message ?? ""
            #expect(message.contains("wrong or revoked") && message.contains("tally tenant huntress msp-1"), "\(message)")
            #expect(!message.contains("revoked-private-key"))
            await workers.stopAll()
        }
    }
}

extension UsageRefreshTests {
    /// Twenty tenants on one Huntress key refreshed by three workers at once:
    /// the cluster takes its permits from PostgreSQL, so Huntress (here 10
    /// requests in any 2 s) never sees more than its limit and never answers 429.
    @Test func threeWorkersKeepTwentyTenantsOnOneKeyUnderTheLimit() async throws {
        try await SyncFixture.with(tenants: 20, organizations: 1) { fixture in
            let db = fixture.connection
            let organizations = (1...3).map { SimHuntressOrganization(id: $0, name: "Customer \($0)", agentsCount: $0) }
            for tenant in fixture.tenantIDs {
                try await Self.useHuntress(organizations, tenant: tenant, fixture: fixture)
                try await db.execute("UPDATE tenants SET huntress_counts = 'list' WHERE tenant_id = \(tenant)")
            }
            await fixture.simulator.state.setHuntressLimit(requests: 10, windowSeconds: 2)
            let workers = try fixture.startWorkers(
                3, arguments: ["--concurrency", "4", "--retry-base-seconds", "0.2", "--huntress-limit", "10/3"])
            var jobs: [(Int64, Int64)] = []
            for tenant in fixture.tenantIDs {
                jobs.append((tenant, try await UsageRefreshRequests.request(tenantID: tenant, on: db)))
            }
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(60)) {
                try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM jobs WHERE kind = 'usage_refresh' AND state = 'succeeded'
                    """, on: db) == 20
            })
            let statistics = await fixture.simulator.state.huntressStatistics()
            #expect(statistics.requests[Self.key.publicKey] == 20)
            #expect(statistics.throttled[Self.key.publicKey, default: 0] == 0)
            #expect(statistics.mostInAnyWindow[Self.key.publicKey, default: 0] <= 10, "\(statistics.mostInAnyWindow)")
            for (tenant, _) in jobs {
                #expect(try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM usage WHERE tenant_id = \(tenant) AND source = 'huntress'
                    """, on: db) == 6)
            }
            await workers.stopAll()
        }
    }

    /// Two refreshes of one tenant at once: each organization is added once, and the counts agree.
    @Test func twoRefreshesAtOnceAddEachOrganizationOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            try await db.execute("DELETE FROM organizations WHERE tenant_id = \(tenant)")
            let organizations = HuntressGenerator(seed: 5, accounts: 1, organizationsPerAccount: 600).generate().accounts[0].organizations
            try await Self.useHuntress(organizations, tenant: tenant, fixture: fixture)
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "2", "--batch-size", "1"])
            let first = try await UsageRefreshRequests.request(tenantID: tenant, on: db)
            let second = try await UsageRefreshRequests.request(tenantID: tenant, on: db)
            var statuses: [UsageRefreshRequests.Status] = []
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(60)) {
                statuses = []
                for job in [first, second] {
                    if let status = try await UsageRefreshRequests.status(tenantID: tenant, jobID: job, on: db) { statuses.append(status) }
                }
                return statuses.count == 2 && statuses.allSatisfy(\.isFinished)
            })
            #expect(statuses.allSatisfy { $0.state == "succeeded" }, "\(statuses)")
            #expect(statuses.map { $0.added ?? 0 }.reduce(0, +) == 600, "\(statuses)")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM organizations WHERE tenant_id = \(tenant)", on: db) == 600)
            await workers.stopAll()
        }
    }
}
