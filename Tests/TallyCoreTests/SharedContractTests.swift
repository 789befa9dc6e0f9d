import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Several organizations of a tenant on one contract (an MSP's client with two
/// or three Huntress organizations or sites): the contract's units are the sum
/// of their usage, written once per run (issue 17, point 3).
@Suite(.serialized)
struct SharedContractTests {
    static let base = 1_000_000
    static func contract(of organization: Int) -> Int { base + 100_000 + organization }

    /// Organizations 1–2 share organization 1's contract; 3–5 share organization 3's.
    static func share(on connection: Connection, tenantID: Int64) async throws {
        try await connection.execute("""
            UPDATE organizations SET company_id = \(base + 1000 + 1), contract_id = \(contract(of: 1))
            WHERE tenant_id = \(tenantID) AND organization_id = 2
            """)
        try await connection.execute("""
            UPDATE organizations SET company_id = \(base + 1000 + 3), contract_id = \(contract(of: 3))
            WHERE tenant_id = \(tenantID) AND organization_id IN (4, 5)
            """)
    }

    static func usage(_ organizations: [Int], _ product: String, tenantID: Int64, on connection: Connection) async throws -> Int {
        try await Fixtures.count("""
            SELECT coalesce(sum(units), 0)::int AS n FROM usage
            WHERE tenant_id = \(tenantID) AND product = \(product) AND organization_id = ANY(\(organizations.map(Int64.init))::bigint[])
            """, on: connection)
    }

    @Test func twoAndThreeOrganizationsOnOneContractBillTheSumOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 6) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await Self.share(on: connection, tenantID: tenant)
            let before = await fixture.simulator.state.units(database: "db1") ?? []
            let workers = try fixture.startWorkers(1, arguments: ["--concurrency", "4", "--batch-size", "3", "--retry-base-seconds", "0.2"])
            for _ in 1...2 {
                _ = try await fixture.syncNowAll()
                #expect(try await fixture.waitForQuietQueue())
            }
            await workers.stopAll()

            let units = await fixture.simulator.state.units(database: "db1") ?? []
            func inForce(_ contract: Int, _ service: Int) -> Int? {
                units.first { $0.contractID == contract && $0.serviceID == service }?.units
            }
            var expectedWrites = 0
            for (product, service) in [("edr", Self.base + 1), ("m365", Self.base + 2)] {
                for group in [[1, 2], [3, 4, 5], [6]] {
                    let total = try await Self.usage(group, product, tenantID: tenant, on: connection)
                    #expect(inForce(Self.contract(of: group[0]), service) == total, "contract of \(group) \(product)")
                    let old = before.first { $0.contractID == Self.contract(of: group[0]) && $0.serviceID == service }?.units
                    if old != total { expectedWrites += 1 }
                }
                for alone in [2, 4, 5] {
                    let old = before.first { $0.contractID == Self.contract(of: alone) && $0.serviceID == service }?.units
                    #expect(inForce(Self.contract(of: alone), service) == old, "the unmapped contract of \(alone) is left alone")
                }
            }
            #expect(await fixture.tallyAdjustments().count == expectedWrites, "one adjustment per contract service")

            let shared = try await connection.query("""
                SELECT organization_id, product, target_units, message FROM results
                WHERE organization_id <> 6 AND run_id = (SELECT min(run_id) FROM runs)
                """)
            #expect(shared.count == 10)
            for row in shared {
                let organization: Int64 = try row.decode("organization_id")
                let product: String = try row.decode("product")
                let message: String = try row.decode("message")
                let group = organization <= 2 ? [1, 2] : [3, 4, 5]
                let total = try await Self.usage(group, product, tenantID: tenant, on: connection)
                let share = try await Self.usage([Int(organization)], product, tenantID: tenant, on: connection)
                #expect(try row.decode("target_units", as: Int.self) == total)
                #expect(message.contains("shared by \(group.count) organizations") && message.contains("share is \(share) of \(total) units"),
                        "\(organization) \(product): \(message)")
            }
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE run_id = (SELECT max(run_id) FROM runs) AND reason_code = 'unchanged'
                """, on: connection) == 12, "the second run finds every total in place")
        }
    }

    @Test func aSharerWithoutUsageHoldsBackTheWholeContract() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 6) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await Self.share(on: connection, tenantID: tenant)
            try await connection.execute("DELETE FROM usage WHERE tenant_id = \(tenant) AND organization_id = 2 AND product = 'edr'")
            try await AdjustmentAudit.makeEverySyncAChange(tenantIDs: fixture.tenantIDs, simulator: fixture.simulator.state, on: connection)
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            await workers.stopAll()
            let edr = try await connection.query("""
                SELECT organization_id, outcome, reason_code, message FROM results WHERE organization_id IN (1, 2) AND product = 'edr'
                ORDER BY organization_id
                """)
            try #require(edr.count == 2)
            #expect(try edr.map { try $0.decode("outcome", as: String.self) } == ["skipped", "skipped"])
            #expect(try edr.map { try $0.decode("reason_code", as: String.self) } == ["no_usage", "no_usage"])
            let message: String = try edr[0].decode("message")
            #expect(message.contains("(2)") && message.contains("shares contract \(Self.contract(of: 1))"), "\(message)")
            #expect(await fixture.tallyAdjustments().filter { $0.contractID == Self.contract(of: 1) && $0.serviceID == Self.base + 1 }.isEmpty)
            #expect(await fixture.tallyAdjustments().contains { $0.contractID == Self.contract(of: 1) && $0.serviceID == Self.base + 2 })
        }
    }
}
