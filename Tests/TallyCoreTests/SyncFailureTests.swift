import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Each way a sync can go wrong ends with a result that says what to fix.
@Suite(.serialized)
struct SyncFailureTests {
    struct Expected: CustomStringConvertible {
        var tenant: Int
        var organization: Int64
        var product: String
        var outcome: String
        var reason: String
        var says: String

        var description: String { "tenant \(tenant) org \(organization) \(product)" }
    }

    @Test func everyProblemEndsWithAnActionableResult() async throws {
        let world: (inout SimWorld) -> Void = { world in
            let base = 1_000_000
            let db = 0
            world.databases[db].contractServices.removeAll { $0.contractID == base + 100_001 && $0.serviceID == base + 2 }
            world.databases[db].contracts[1].status = 0
            world.databases[db].contracts[2].startDate = SimDay(year: 2024, month: 1, day: 1)
            world.databases[db].contracts[2].endDate = SimDay(year: 2025, month: 1, day: 1)
            world.databases[db].contracts[3].contractType = 1
        }
        try await SyncFixture.with(tenants: 3, organizations: 8, world: world) { fixture in
            let connection = fixture.connection
            let (t1, t2, t3) = (fixture.tenantIDs[0], fixture.tenantIDs[1], fixture.tenantIDs[2])
            try await connection.execute("UPDATE organizations SET contract_id = NULL WHERE tenant_id = \(t1) AND organization_id = 5")
            try await connection.execute("""
                UPDATE usage SET observed_at = now() - interval '3 days' WHERE tenant_id = \(t1) AND organization_id = 6
                """)
            try await connection.execute("UPDATE tenants SET autotask_username = 'limited@db2.example' WHERE tenant_id = \(t2)")
            try await TenantSecrets.store("not-the-secret", kind: .autotaskSecret, tenantID: t3, key: SyncFixture.secretKey, on: connection)

            let workers = try fixture.startWorkers(2)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())

            let expected = [
                Expected(tenant: 1, organization: 1, product: "m365", outcome: "failed", reason: "service_not_on_contract",
                         says: "(“Huntress Managed ITDR (Microsoft 365)”, product m365) is not on contract 1100001 “"),
                Expected(tenant: 1, organization: 1, product: "edr", outcome: "succeeded", reason: "", says: ""),
                Expected(tenant: 1, organization: 2, product: "edr", outcome: "failed", reason: "contract_inactive", says: "activate it in Autotask"),
                Expected(tenant: 1, organization: 3, product: "m365", outcome: "failed", reason: "contract_expired", says: "renew it in Autotask"),
                Expected(tenant: 1, organization: 4, product: "edr", outcome: "failed", reason: "contract_not_recurring",
                         says: "not a Recurring Service contract"),
                Expected(tenant: 1, organization: 5, product: "edr", outcome: "skipped", reason: "organization_not_mapped",
                         says: "tally map contract msp-1 5"),
                Expected(tenant: 1, organization: 6, product: "m365", outcome: "skipped", reason: "usage_stale", says: "refresh usage"),
                Expected(tenant: 2, organization: 1, product: "edr", outcome: "failed", reason: "missing_permission", says: "Contracts"),
                Expected(tenant: 3, organization: 7, product: "m365", outcome: "failed", reason: "bad_credentials", says: "credentials"),
            ]
            for want in expected {
                let rows = try await connection.query("""
                    SELECT outcome, coalesce(reason_code, '') AS reason, message FROM results
                    WHERE tenant_id = \(fixture.tenantIDs[want.tenant - 1]) AND organization_id = \(want.organization) AND product = \(want.product)
                    """)
                try #require(rows.count == 1, "\(want): one result")
                let outcome: String = try rows[0].decode("outcome")
                let message: String = try rows[0].decode("message")
                #expect(outcome == want.outcome, "\(want): \(message)")
                if want.outcome != "succeeded" {
                    #expect(try rows[0].decode("reason", as: String.self) == want.reason, "\(want): \(message)")
                    #expect(message.contains(want.says), "\(want): \(message)")
                    #expect(!message.contains("secret-db"), "no secret in a message")
                }
            }
            // Tenant 1's healthy organizations were synced despite the others.
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(t1) AND organization_id IN (7, 8) AND outcome = 'succeeded'
                """, on: connection) == 4)
            await workers.stopAll()
        }
    }

    /// Issue 9, scenario 3 (short form): 20 % of Autotask calls fail
    /// transiently — 503s, bare 500s, 429 thread-limit answers, calls that hang
    /// until a 504, and writes applied whose answer is lost — and every job
    /// still succeeds, with each contract at its usage and no change posted twice.
    @Test func transientServerErrorsAreRetriedToSuccess() async throws {
        try await SyncFixture.with(tenants: 3, organizations: 20) { fixture in
            let state = fixture.simulator.state
            let needed = try await fixture.makeEverySyncAChange(faults: "5xx=0.04,ise=0.04,429=0.04,hang=0.04,lost=0.04,hangFor=1s,seed=5")
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "4", "--batch-size", "10", "--retry-base-seconds", "0.2"])
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            let injected = await state.statistics().faultsInjected
            await state.setFaults(FaultSpec())
            let outcomes = try await fixture.connection.query(
                "SELECT outcome, reason_code, message, attempts FROM results WHERE outcome <> 'succeeded' LIMIT 5")
            for row in outcomes {
                Issue.record("\(try row.decode("outcome", as: String.self)) \(try row.decode("reason_code", as: String?.self) ?? "") \(try row.decode("message", as: String.self)) after \(try row.decode("attempts", as: Int.self))")
            }
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: fixture.connection) == 120)
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE attempts > 1", on: fixture.connection) > 0, "some jobs were retried")
            for fault in ["5xx", "ise", "429", "hang", "lost"] {
                #expect(injected[fault, default: 0] > 0, "\(fault) was injected: \(injected)")
            }
            let audit = try await AdjustmentAudit.audit(tenantIDs: fixture.tenantIDs, needed: needed, simulator: state, on: fixture.connection)
            #expect(audit.lost == 0 && audit.doubled == 0, "\(audit); faults \(injected)")
            await workers.stopAll()
        }
    }
}
