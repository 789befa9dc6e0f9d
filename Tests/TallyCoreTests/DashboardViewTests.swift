import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// Each dashboard view's rows over `DashboardFixture`, read as `tally status` reads them.
@Suite("Dashboard views")
struct DashboardViewTests {
    private func withFixture(_ body: (Connection) async throws -> Void) async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            try await DashboardFixture.load(on: db)
            try await body(db)
        }
    }

    @Test func syncStatusHasTheLatestResultOfEachOrganizationAndProduct() async throws {
        try await withFixture { db in
            let acme = try await Dashboard.syncStatus(tenantID: 1, on: db)
            #expect(acme.map { "\($0.organizationName) \($0.product) \($0.outcome) run \($0.runID.cell)" } == [
                "Alpha edr succeeded run 2", "Alpha m365 failed run 2", "Beta edr held run 2", "Gamma edr skipped run 2",
            ])
            let adjusted = try #require(acme.first)
            #expect(adjusted.slug == "acme")
            #expect((adjusted.unitsBefore, adjusted.targetUnits, adjusted.unitsAfter, adjusted.change) == (20, 25, 25, 5))
            #expect(adjusted.adjustmentID == 5001)
            #expect(adjusted.message == "set to 25 agents (was 20) by adjustment 5001")
            #expect(acme[1].message.hasSuffix("add it to the contract in Autotask"))
            #expect(acme[2].reasonCode == "guard_drop" && acme[2].unitsBefore == 10 && acme[2].targetUnits == 5)

            let globex = try await Dashboard.syncStatus(tenantID: 2, on: db)
            #expect(globex.map(\.organizationName) == ["Omega"])
            #expect(globex.first?.reasonCode == "missing_permission")
            #expect(try await Dashboard.syncStatus(tenantID: 3, on: db).isEmpty)

            let recent = try await db.query(
                "SELECT tenant_slug, job_id FROM dashboard.sync_status ORDER BY finished_at DESC LIMIT 2")
            #expect(try recent.map { "\(try $0.decode("tenant_slug", as: String.self)) \(try $0.decode("job_id", as: Int.self))" }
                    == ["globex 31", "acme 24"])
        }
    }

    @Test func runsCountTheirJobsByOutcomeWithStateAndDuration() async throws {
        try await withFixture { db in
            let acme = try await Dashboard.runs(tenantID: 1, limit: 10, on: db)
            #expect(acme.map(\.runID) == [2, 1])
            let latest = acme[0]
            #expect((latest.jobCount, latest.succeeded, latest.failed, latest.held, latest.skipped, latest.cancelled)
                    == (4, 1, 1, 1, 1, 0))
            #expect((latest.queued, latest.running, latest.state) == (0, 0, "failed"))
            #expect(latest.durationSeconds == 12 * 60)
            #expect((acme[1].succeeded, acme[1].failed, acme[1].durationSeconds) == (2, 1, 120))
            #expect(try await Dashboard.runs(tenantID: 1, limit: 1, on: db).map(\.runID) == [2])

            let globex = try await Dashboard.runs(tenantID: 2, limit: 10, on: db)
            #expect(globex.map(\.runID) == [4, 3])
            #expect((globex[0].state, globex[0].queued, globex[0].running, globex[0].finishedAt) == ("running", 1, 1, nil))
            #expect(globex[0].durationSeconds >= 300 && globex[0].durationSeconds < 400)
            #expect((globex[1].state, globex[1].failed, globex[1].durationSeconds) == ("failed", 1, 300))
        }
    }

    @Test func queueCountsJobsByStateWithTheOldestAgeAndWhyDeferred() async throws {
        try await withFixture { db in
            let queue = try await Dashboard.queue(on: db)
            #expect(queue.map(\.slug) == ["globex", "acme"])
            let globex = queue[0]
            #expect((globex.queued, globex.ready, globex.deferred, globex.running, globex.held, globex.concurrencyCap)
                    == (1, 0, 1, 1, 0, 3))
            // Its queued job is deferred for 10 minutes: nothing is ready.
            #expect(globex.oldestQueuedSeconds == nil)
            #expect(globex.deferredReason?.contains("request budget is spent") == true)
            #expect(globex.nextRunAt.map { $0 > Date().addingTimeInterval(500) && $0 < Date().addingTimeInterval(700) } == true)
            let acme = queue[1]
            #expect((acme.queued, acme.running, acme.held, acme.oldestQueuedSeconds, acme.deferredReason) == (0, 0, 1, nil, nil))
            #expect(try await Dashboard.queue(tenantID: 1, on: db).map(\.held) == [1])
            #expect(try await Dashboard.queue(tenantID: 3, on: db).isEmpty)

            // Due two minutes ago and no longer deferred: ready, waiting for two minutes.
            try await db.execute(
                "UPDATE jobs SET run_at = now() - interval '2 minutes', deferred_reason = NULL WHERE tenant_id = 2 AND job_id = 42")
            let ready = try #require(try await Dashboard.queue(tenantID: 2, on: db).first)
            #expect((ready.queued, ready.ready, ready.deferred, ready.nextRunAt, ready.deferredReason) == (1, 1, 0, nil, nil))
            #expect(ready.oldestQueuedSeconds.map { $0 >= 120 && $0 < 180 } == true)
        }
    }

    @Test func failuresGroupTheLastDayByReasonWithTheFix() async throws {
        try await withFixture { db in
            let acme = try await Dashboard.failures(tenantID: 1, on: db)
            // Run 1's failure is two days old: outside the window.
            #expect(Set(acme.map { "\($0.outcome) \($0.reasonCode) \($0.results)" }) == [
                "failed service_not_on_contract 1", "held guard_drop 1", "skipped organization_not_mapped 1",
            ])
            for failure in acme {
                #expect(failure.fix?.isEmpty == false)
                #expect(failure.sampleMessage?.isEmpty == false)
            }
            let notOnContract = try #require(acme.first { $0.reasonCode == "service_not_on_contract" })
            #expect(notOnContract.fix == "add the product's service to the organization's contract in Autotask")
            #expect(notOnContract.sampleMessage?.hasPrefix("service 12 is not on contract 100") == true)

            let byReason = try await Dashboard.failuresByReason(on: db)
            #expect(Set(byReason.map { "\($0.outcome) \($0.reasonCode) \($0.results) \($0.tenants)" }) == [
                "failed service_not_on_contract 1 1", "held guard_drop 1 1", "skipped organization_not_mapped 1 1",
                "failed missing_permission 1 1",
            ])
            #expect(byReason.first { $0.reasonCode == "missing_permission" }?.sampleMessage
                    == "the Autotask API user lacks permission to read Contracts")
        }
    }

    /// The fix for missing or stale usage says where usage comes from: a
    /// tenant connected to Huntress refreshes, one without imports.
    @Test func usageFixesNameARefreshForHuntressTenantsAndAnImportForOthers() async throws {
        try await withFixture { db in
            try await db.executeScript("""
                INSERT INTO tenant_secrets (tenant_id, kind, sealed, key_id)
                VALUES (1, 'huntress_api_key', decode(repeat('00', 40), 'hex'), 'test-key');
                INSERT INTO results (tenant_id, job_id, run_id, organization_id, product, outcome, reason_code, message, attempts,
                                     started_at, finished_at)
                SELECT tenant_id, 900 + row_number() OVER (), run_id, 1, 'edr', 'skipped', reason, 'usage problem', 1,
                       now() - interval '1 minute', now()
                FROM (VALUES (1, 2), (2, 3)) AS j (tenant_id, run_id), unnest(ARRAY['no_usage', 'usage_stale']) AS reason
                """, name: "usage problems")
            for reason in ["no_usage", "usage_stale"] {
                let huntress = try #require(try await Dashboard.failures(tenantID: 1, on: db).first { $0.reasonCode == reason }?.fix)
                let imported = try #require(try await Dashboard.failures(tenantID: 2, on: db).first { $0.reasonCode == reason }?.fix)
                #expect(huntress.contains("tally usage refresh"), "\(reason): \(huntress)")
                #expect(!imported.contains("refresh") && imported.contains("tally usage import"), "\(reason): \(imported)")
                #expect(imported.contains("tally tenant huntress"), "\(reason): \(imported)")
                let cluster = try #require(try await Dashboard.failuresByReason(on: db).first { $0.reasonCode == reason }?.fix)
                #expect(cluster.contains("refresh") && cluster.contains("import"), "cluster-wide, \(reason): \(cluster)")
            }
        }
    }

    @Test func workersShowHeartbeatsJobsInHandAndStaleOnes() async throws {
        try await withFixture { db in
            let workers = try await Dashboard.workers(on: db)
            #expect(workers.map(\.host) == ["host-a", "host-b"])
            #expect((workers[0].stale, workers[0].runningJobs, workers[0].slotsHeld, workers[0].kinds) == (false, 1, 1, ["sync"]))
            #expect(workers[0].heartbeatAgeSeconds >= 5 && workers[0].heartbeatAgeSeconds < 60)
            #expect((workers[1].stale, workers[1].runningJobs, workers[1].slotsHeld, workers[1].kinds) == (true, 0, 0, []))
        }
    }

    @Test func throughputHasEveryMinuteOfTheLastHour() async throws {
        try await withFixture { db in
            let minutes = try await Dashboard.throughput(on: db)
            #expect(minutes.count == 60)
            #expect(zip(minutes, minutes.dropFirst()).allSatisfy { $1.minute.timeIntervalSince($0.minute) == 60 })
            #expect(minutes.reduce(0) { $0 + $1.finished } == 5)
            #expect(minutes.reduce(0) { $0 + $1.succeeded } == 1)
            #expect(minutes.reduce(0) { $0 + $1.failed } == 2)
            #expect(minutes.reduce(0) { $0 + $1.autotaskRequests } == 550)
            #expect(minutes.reduce(0) { $0 + $1.autotaskErrors } == 3)
            // Jobs 21 (2 s) and 22 (1 s) finished in the same minute.
            let busiest = try #require(minutes.first { $0.finished == 2 })
            #expect((busiest.p50Milliseconds, busiest.p95Milliseconds, busiest.p99Milliseconds) == (1500, 1950, 1990))
            #expect(minutes.filter { $0.finished == 0 }.allSatisfy { $0.p50Milliseconds == nil })
        }
    }

    @Test func tenantsShowScheduleNextRunLastRunAndBudget() async throws {
        try await withFixture { db in
            let tenants = try await Dashboard.tenants(on: db)
            #expect(tenants.map(\.slug) == ["acme", "globex", "initech"])
            let (acme, globex, initech) = (tenants[0], tenants[1], tenants[2])

            #expect(acme.schedule == "daily at 02:00")
            let next = try #require(acme.nextRunAt)
            #expect(next > Date() && next < Date().addingTimeInterval(25 * 3600))
            #expect(acme.nextRunLocal?.hasSuffix(" 02:00") == true)
            #expect((acme.lastRunID, acme.lastRunTrigger, acme.lastRunJobs, acme.lastRunState) == (2, "daily", 4, "failed"))
            #expect((acme.requestsLastHour, acme.hourlyRequestBudget, acme.budgetUsedPercent) == (500, 1000, 50))

            #expect(globex.schedule == "monthly on day 31 at 06:30")
            let local = try #require(globex.nextRunLocal)
            #expect(local.hasSuffix(" 06:30"))
            #expect(globex.nextRunAt.map { next in
                let day = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: next)
                let lastDay = Calendar(identifier: .gregorian).range(of: .day, in: .month, for: next)!.count
                return day.day == lastDay && day.hour == 6 && day.minute == 30
            } == true)
            #expect((globex.lastRunID, globex.lastRunState, globex.requestsLastHour, globex.budgetUsedPercent) == (4, "running", 50, 1))

            #expect((initech.schedule, initech.paused, initech.nextRunAt, initech.lastRunID, initech.lastRunState)
                    == ("manual", true, nil, nil, nil))
            #expect(try await Dashboard.tenants(tenantID: 2, on: db).map(\.slug) == ["globex"])
        }
    }

    @Test func aLastRunIsRunningWhileAJobIsToDoThenFailedHeldCancelledOrSucceeded() async throws {
        try await withFixture { db in
            func state(_ tenant: Int64) async throws -> String? {
                try await Dashboard.tenants(tenantID: tenant, on: db).first?.lastRunState
            }
            // globex's run 4 with only a queued job left (its running one handed back).
            try await db.execute("""
                UPDATE jobs SET state = 'queued', worker_id = NULL, lease_expires_at = NULL, slot = NULL, started_at = NULL
                WHERE tenant_id = 2 AND job_id = 41
                """)
            #expect(try await state(2) == "running")
            try await db.execute("UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE tenant_id = 2 AND run_id = 4")
            #expect(try await state(2) == "cancelled")

            // acme's run 2: failed beats held, held beats cancelled; skipped alone is success.
            #expect(try await state(1) == "failed")
            try await db.execute("DELETE FROM results WHERE tenant_id = 1 AND job_id = 22")
            #expect(try await state(1) == "held")
            try await db.execute("UPDATE results SET outcome = 'cancelled' WHERE tenant_id = 1 AND job_id = 21")
            #expect(try await state(1) == "held")
            try await db.execute("DELETE FROM results WHERE tenant_id = 1 AND job_id = 23")
            #expect(try await state(1) == "cancelled")
            try await db.execute("DELETE FROM results WHERE tenant_id = 1 AND job_id = 21")
            #expect(try await state(1) == "succeeded")
        }
    }

    @Test func unmappedListsOrganizationsWithoutACompanyOrContract() async throws {
        try await withFixture { db in
            let acme = try await Dashboard.unmapped(tenantID: 1, on: db)
            #expect(acme.map { "\($0.organizationName) \($0.missing) \($0.usage.cell)" } == ["Delta contract -", "Gamma company edr 7"])
            #expect(acme[0].fix == "tally map contract acme 4 CONTRACT_ID")
            #expect(acme[1].fix.hasPrefix("tally map company acme 3 COMPANY_ID"))
            #expect(try await Dashboard.unmapped(tenantID: 2, on: db).isEmpty)
        }
    }
}

extension Optional {
    var cell: String { map { "\($0)" } ?? "-" }
}
