import Autotask
import Foundation
import Logging
import Postgres
import TallyCore
import TestSupport
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
                let outcome = try await SyncApproval.approve(tenantID: tenant, jobID: try row.decode("job_id"), approvedBy: "dana", on: connection)
                #expect(outcome == .approved(unitsBefore: 40, target: try row.decode("target_units")))
            }
            let again = try await SyncApproval.approve(tenantID: tenant, jobID: try held[0].decode("job_id"), on: connection)
            #expect(again != .approved(unitsBefore: 40, target: 0), "a job is approved once")
            #expect(try await fixture.waitForQuietQueue())
            #expect(try await fixture.mismatches() == [])
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE run_id = \(run.runID) AND outcome = 'succeeded'
                """, on: connection) == 3, "approved jobs replaced their held results")
            // The approved changes' audit notes name who approved them; the one within the guard names nobody.
            let notes = (await fixture.simulator.state.notes(database: "db1") ?? []).filter { $0.title.contains("→ 0 ") || $0.title.contains("→ 10 ") || $0.title.contains("→ 30 ") }
            #expect(notes.count == 3, "\(notes.map(\.title))")
            for note in notes {
                let approved = note.description.contains("The guard rails held this change for approval; dana approved it.")
                #expect(approved == !note.title.contains("→ 30 "), "\(note.title): \(note.description)")
            }
            await workers.stopAll()
        }
    }

    /// Issue 9, scenario 5: a tenant's budget runs out in the middle of its
    /// run. Its remaining jobs defer (no attempt used, no result), the other
    /// tenant's run finishes, and when the hour has passed (moved back here:
    /// its request counts and its jobs' due times an hour earlier) it resumes
    /// and finishes, each change written once.
    @Test func aSpentBudgetDefersOnlyThatTenant() async throws {
        try await SyncFixture.with(tenants: 2, organizations: 20) { fixture in
            let connection = fixture.connection
            let state = fixture.simulator.state
            let (poor, rich) = (fixture.tenantIDs[0], fixture.tenantIDs[1])
            let needed = try await fixture.makeEverySyncAChange()
            // 40 changes each: three batches read (3 requests each), then about a dozen writes fit.
            try await connection.execute("UPDATE tenants SET hourly_request_budget = 20 WHERE tenant_id = \(poor)")
            let workers = try fixture.startWorkers(1)
            _ = try await fixture.syncNowAll()
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(rich) AND outcome = 'succeeded'
                """, toBe: 40, on: connection, timeout: .seconds(60)))
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(30)) {
                try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor) AND state = 'running'", on: connection) == 0
            })
            let done = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(poor) AND outcome = 'succeeded'
                """, on: connection)
            let deferredOf = { (kind: String) in
                try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM jobs
                    WHERE tenant_id = \(poor) AND kind = \(kind) AND state = 'queued' AND deferred_reason LIKE '%request budget is spent%'
                      AND run_at > now() AND attempts = 0
                    """, on: connection)
            }
            let deferred = try await deferredOf("sync")
            // Audit notes count against the budget too: each adjustment's note is posted or waits for the next hour.
            let notesPosted = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM contract_notes WHERE tenant_id = \(poor) AND state = 'posted'
                """, on: connection)
            #expect(notesPosted + (try await deferredOf("contract_note")) == done, "\(notesPosted) notes posted of \(done)")
            #expect(done > 0 && done < 40, "the budget ran out mid-run: \(done) of 40 done")
            let states = try await connection.query("""
                SELECT line || ' ×' || count(*) AS line FROM (
                    SELECT state || ' attempts ' || attempts || ' due in ' || round(extract(epoch FROM run_at - now())) || ' s: '
                           || coalesce(deferred_reason, last_error, '') AS line
                    FROM jobs WHERE tenant_id = \(poor) AND state <> 'succeeded') j GROUP BY line
                """).map { try $0.decode("line", as: String.self) }
            #expect(done + deferred == 40, "the rest deferred without using an attempt: \(deferred); \(states)")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(poor) AND outcome <> 'succeeded'
                """, on: connection) == 0, "no deferred job ended")
            let used = try await RequestBudget.usage(tenantID: poor, on: connection).used
            #expect(used <= 20 + 3 * 3, "at most one step per task (cap 3) past the budget: \(used)")

            // Hours pass (each moved back here): the counted minutes leave the
            // window and the deferred jobs come due; each hour's budget takes
            // about a dozen more changes, until the run is done. An hour is
            // moved back only once the worker has written its counts of it: it
            // writes them at most once a second, at a request or a budget check
            // (RequestMeter), so after requests it gets a second and a check.
            let requestsToPoor = { await state.statistics().requests["db1"]?.values.reduce(0, +) ?? 0 }
            // The worker has worked, or deferred again, every job of the tenant that is due.
            let workedOff = {
                try await TestDatabase.waitUntil(timeout: .seconds(10)) {
                    try await Fixtures.count("""
                        SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor)
                          AND (state = 'running' OR (state = 'queued' AND run_at <= now()))
                        """, on: connection) == 0
                }
            }
            var requestsWritten = 0
            var hours = 0
            while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection) > 0,
                  hours < 30 {
                hours += 1
                _ = try await workedOff()
                while await requestsToPoor() > requestsWritten,
                      try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(poor) AND state = 'queued'", on: connection) > 0 {
                    requestsWritten = await requestsToPoor()
                    // Kept on purpose, like a lease let expire: the meter's 1 s write interval runs out.
                    try await Task.sleep(for: .seconds(1))
                    // Its deferred jobs due again at once: its check writes the counts, or it makes more requests.
                    try await connection.execute("UPDATE jobs SET run_at = now() WHERE tenant_id = \(poor) AND state = 'queued'")
                    _ = try await workedOff()
                }
                try await connection.execute("""
                    UPDATE autotask_request_counts SET minute = minute - interval '61 minutes' WHERE tenant_id = \(poor)
                    """)
                try await connection.execute("""
                    UPDATE jobs SET run_at = run_at - interval '61 minutes' WHERE tenant_id = \(poor) AND state = 'queued'
                    """)
            }
            let finished = try await fixture.waitForQuietQueue()
            let left = try await connection.query("""
                SELECT line || ' ×' || count(*) AS line FROM (
                    SELECT state || ' attempts ' || attempts || ' due in ' || round(extract(epoch FROM run_at - now())) || ' s: '
                           || coalesce(deferred_reason, last_error, '') AS line
                    FROM jobs WHERE tenant_id = \(poor) AND state <> 'succeeded') j GROUP BY line
                """).map { try $0.decode("line", as: String.self) }
            #expect(finished, "after \(hours) hours: \(left)")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM results WHERE tenant_id = \(poor) AND outcome = 'succeeded'
                """, on: connection) == 40)
            let audit = try await AdjustmentAudit.audit(tenantIDs: fixture.tenantIDs, needed: needed, simulator: state, on: connection)
            #expect(audit.lost == 0 && audit.doubled == 0, "\(audit)")
            await workers.stopAll()
        }
    }

    /// Two tenants given the same Autotask API user are charged their own
    /// requests, not each other's (issue 18: the meter keyed requests by user name).
    @Test func twoTenantsOfOneAPIUserAreEachChargedTheirOwnRequests() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3, 3], on: db)
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 2)
            let meter = RequestMeter(pool: pool, logger: Logger(label: "test"))
            for tenant in tenants { meter.attribute(account: "tenant:\(tenant)", to: tenant) }
            func request(of tenant: Int64) -> AutotaskRequestRecord {
                AutotaskRequestRecord(
                    userName: "api@shared.example", account: "tenant:\(tenant)", entity: "Contracts", method: "GET", status: 200,
                    duration: .milliseconds(5))
            }
            for _ in 0..<3 { await meter.record(request(of: tenants[0])) }
            for _ in 0..<5 { await meter.record(request(of: tenants[1])) }
            await meter.flush()
            pool.close()
            let counts = try await db.query("""
                SELECT tenant_id, sum(requests)::int AS n FROM autotask_request_counts GROUP BY tenant_id ORDER BY tenant_id
                """).map { try $0.decode("n", as: Int.self) }
            #expect(counts == [3, 5])
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
