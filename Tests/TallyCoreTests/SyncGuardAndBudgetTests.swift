import Autotask
import Foundation
import Logging
import Postgres
import TallyCore
import Testing

@Suite(.serialized)
struct SyncGuardAndBudgetTests {
    @Test func largeDropsAreHeldUntilApproved() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await connection.execute("UPDATE usage SET units = 40 WHERE tenant_id = \(tenant) AND product = 'edr'")
            let workers = try fixture.startWorkers(1)
            _ = try await Runs.syncNow(tenantID: tenant, on: connection)
            #expect(try await fixture.waitForQuietQueue())

            try await connection.execute("UPDATE tenants SET guard_max_drop_percent = 50 WHERE tenant_id = \(tenant)")
            try await connection.execute("""
                UPDATE usage SET units = CASE organization_id WHEN 1 THEN 0 WHEN 2 THEN 10 ELSE 30 END
                WHERE tenant_id = \(tenant) AND product = 'edr'
                """)
            let run = try await Runs.syncNow(tenantID: tenant, product: "edr", on: connection)
            #expect(run.jobCount == 3)
            #expect(try await fixture.waitForQuietQueue())
            let held = try await connection.query("""
                SELECT r.organization_id, r.reason_code, r.message, r.units_before, r.target_units, r.job_id
                FROM results r WHERE r.run_id = \(run.runID) AND r.outcome = 'held' ORDER BY r.organization_id
                """)
            try #require(held.count == 2)
            #expect(try held[0].decode("reason_code", as: String.self) == "guard_zero")
            #expect(try held[0].decode("message", as: String.self).contains("from 40 to 0"))
            #expect(try held[1].decode("reason_code", as: String.self) == "guard_drop")
            #expect(try held[1].decode("message", as: String.self).contains("from 40 to 10"))
            #expect(try held[1].decode("units_before", as: Int.self) == 40)
            #expect(try held[1].decode("target_units", as: Int.self) == 10)
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE run_id = \(run.runID) AND organization_id = 3 AND outcome = 'succeeded'
                """, on: connection) == 1, "a drop within the guard is written")
            #expect(try await fixture.mismatches().count == 2, "the held changes were not written")

            for row in held {
                let outcome = try await SyncApproval.approve(tenantID: tenant, jobID: try row.decode("job_id"), on: connection)
                #expect(outcome == .approved(unitsBefore: 40, target: try row.decode("target_units")))
            }
            let again = try await SyncApproval.approve(tenantID: tenant, jobID: try held[0].decode("job_id"), on: connection)
            #expect(again != .approved(unitsBefore: 40, target: 0), "a job is approved once")
            #expect(try await fixture.waitForQuietQueue())
            #expect(try await fixture.mismatches() == [])
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE run_id = \(run.runID) AND outcome = 'succeeded'
                """, on: connection) == 3, "approved jobs replaced their held results")
            await workers.stopAll()
        }
    }

    @Test func aSpentBudgetDefersOnlyThatTenant() async throws {
        try await SyncFixture.with(tenants: 2, organizations: 5) { fixture in
            let connection = fixture.connection
            let (poor, rich) = (fixture.tenantIDs[0], fixture.tenantIDs[1])
            try await connection.execute("UPDATE tenants SET hourly_request_budget = 2 WHERE tenant_id = \(poor)")
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(rich) AND outcome = 'succeeded'
                """, toBe: 10, on: connection, timeout: .seconds(60)))
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM jobs
                WHERE tenant_id = \(poor) AND state = 'queued' AND deferred_reason LIKE '%request budget is spent%'
                  AND run_at > now() AND attempts = 0
                """, toBe: 10, on: connection, timeout: .seconds(30)))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE tenant_id = \(poor)", on: connection) == 0)

            // The budget returns: the deferred jobs run and finish.
            try await connection.execute("UPDATE tenants SET hourly_request_budget = 5000 WHERE tenant_id = \(poor)")
            try await connection.execute("UPDATE jobs SET run_at = now() WHERE tenant_id = \(poor) AND state = 'queued'")
            #expect(try await fixture.waitForQuietQueue())
            #expect(try await fixture.mismatches() == [])
            await workers.stopAll()
        }
    }

    @Test func aDryRunPlansWithTheJobsPlannerAndWritesNothing() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 4) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await connection.execute("UPDATE organizations SET contract_id = NULL WHERE tenant_id = \(tenant) AND organization_id = 4")
            let pool = ConnectionPool(configuration: fixture.configuration, maximumConnections: 2)
            let meter = RequestMeter(pool: pool, logger: Logger(label: "test"))
            let client = AutotaskClient(configuration: AutotaskConfiguration(zoneLookupURL: URL(string: fixture.simulator.lookupURL)!))
            let services = SyncServices(pool: pool, autotask: client, secretKey: SyncFixture.secretKey, meter: meter)
            let rows = try await SyncDryRun.plan(tenantID: tenant, services: services)
            try await client.shutdown()
            pool.close()

            #expect(rows.count == 8)
            let units = await fixture.simulator.state.units(database: "db1") ?? []
            for row in rows where row.key.organizationID < 4 {
                let usage: Int = try await connection.query("""
                    SELECT units FROM usage WHERE tenant_id = \(tenant) AND organization_id = \(row.key.organizationID) AND product = \(row.key.product)
                    """)[0].decode("units")
                let service = 1_000_000 + (row.key.product == "edr" ? 1 : 2)
                let current = units.first { $0.contractID == 1_100_000 + Int(row.key.organizationID) && $0.serviceID == service }?.units ?? 0
                #expect(row.plan.report.unitsBefore == current)
                #expect(row.plan.report.targetUnits == usage)
                #expect(row.plan.change == usage - current)
            }
            #expect(rows.filter { $0.key.organizationID == 4 }.allSatisfy { $0.plan.decision.isSkip })
            #expect(await fixture.tallyAdjustments().isEmpty)
            for table in ["runs", "jobs", "results"] {
                #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM \(unescaped: table)", on: connection) == 0)
            }
        }
    }
}

extension SyncDecision {
    var isSkip: Bool {
        if case .skip = self { return true }
        return false
    }
}
