import Foundation
import Huntress
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16: a run of a tenant with a Huntress key refreshes usage first,
/// then syncs what it read; a failed refresh syncs only fresh usage.
@Suite(.serialized)
struct RunRefreshTests {
    /// Huntress counts for organizations 1…n of the fixture's tenant: Tally's usage plus `delta`.
    static func huntressCounts(_ tenant: Int64, plus delta: Int, on db: Connection) async throws -> [SimHuntressOrganization] {
        let rows = try await db.query("""
            SELECT organization_id,
                   max(units) FILTER (WHERE product = 'edr') AS edr, max(units) FILTER (WHERE product = 'm365') AS m365
            FROM usage WHERE tenant_id = \(tenant) GROUP BY organization_id ORDER BY organization_id
            """)
        return try rows.map { row in
            let id = Int(try row.decode("organization_id", as: Int64.self))
            let edr: Int = try row.decode("edr"), m365: Int = try row.decode("m365")
            return SimHuntressOrganization(id: id, name: "Customer 1-\(id)", agentsCount: edr + delta + 3,
                                           billableAgentsCount: edr + delta, billableIdentities: m365 + delta)
        }
    }

    static func waitForRun(_ tenant: Int64, _ run: Int64, on db: Connection) async throws -> Runs.Progress {
        var progress: Runs.Progress?
        _ = try await TestDatabase.waitUntil(timeout: .seconds(60)) {
            progress = try await Runs.progress(tenantID: tenant, runID: run, on: db)
            return progress?.isFinished == true
        }
        return try #require(progress)
    }

    @Test func aSyncNowRefreshesFirstAndSyncsWhatHuntressCountsInOneRun() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 4) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            // Huntress counts 2 more of each than Tally has; the first run syncs Autotask to them.
            let organizations = try await Self.huntressCounts(tenant, plus: 2, on: db)
            try await UsageRefreshTests.useHuntress(organizations, tenant: tenant, fixture: fixture)
            let workers = try fixture.startWorkers(2)
            _ = try await fixture.syncNowAll()
            #expect(try await fixture.waitForQuietQueue())
            let before = await fixture.tallyAdjustments().count

            let run = try await Runs.syncNow(tenantID: tenant, on: db)
            #expect(run.refreshing && run.jobCount == 0)
            let progress = try await Self.waitForRun(tenant, run.runID, on: db)
            #expect(progress.jobCount == 8 && progress.succeeded == 8 && progress.refreshError == nil, "\(progress)")
            #expect(await fixture.tallyAdjustments().count == before, "the first run already synced Huntress's counts")
            #expect(try await fixture.mismatches() == [])

            // Counts change in Huntress; the next run refreshes, then writes exactly those changes.
            _ = await fixture.simulator.state.setHuntressCounts(1, SimHuntressCounts(agentsCount: 40, billableAgentsCount: 37))
            let next = try await Runs.syncNow(tenantID: tenant, on: db)
            #expect(try await Self.waitForRun(tenant, next.runID, on: db).succeeded == 8)
            #expect(try await UsageRefreshTests.units(tenant, 1, "edr", on: db) == 37)
            #expect(try await fixture.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == before + 1)
            await workers.stopAll()
        }
    }

    @Test func aFailedRefreshSyncsFreshUsageAndSkipsStaleUsageWithTheHuntressError() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            let needed = try await fixture.makeEverySyncAChange()
            try await UsageRefreshTests.useHuntress(
                try await Self.huntressCounts(tenant, plus: 0, on: db), tenant: tenant, fixture: fixture)
            try await HuntressKey.store(
                HuntressCredentials(publicKey: UsageRefreshTests.key.publicKey, privateKey: "revoked"), tenantID: tenant,
                key: SyncFixture.secretKey, on: db)
            try await db.execute("""
                UPDATE usage SET observed_at = now() - interval '3 days' WHERE tenant_id = \(tenant) AND organization_id = 2
                """)
            let workers = try fixture.startWorkers(1)
            let run = try await Runs.syncNow(tenantID: tenant, on: db)
            let progress = try await Self.waitForRun(tenant, run.runID, on: db)
            #expect(progress.succeeded == 2 && progress.skipped == 2, "\(progress)")
            #expect(progress.refreshError?.contains("wrong or revoked") == true, "\(progress.refreshError ?? "")")
            let skipped = try await Runs.problems(tenantID: tenant, runID: run.runID, on: db)
            #expect(skipped.count == 2 && skipped.allSatisfy { $0.organizationID == 2 && $0.outcome == "skipped" })
            #expect(skipped.allSatisfy { $0.message.contains("could not refresh it") && $0.message.contains("wrong or revoked") },
                    "\(skipped.map(\.message))")
            #expect(await fixture.tallyAdjustments().count == needed.count / 2, "organization 1's changes only")
            await workers.stopAll()
        }
    }

    @Test func aScheduledRunRefreshesFirstAndAStalledRefreshStillStartsItsSyncs() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("huntress-msp", on: db)
            try await Fixtures.addTargets(tenant: tenant, organizations: 3, mapped: ["edr", "m365"], on: db)
            try await HuntressKey.store(UsageRefreshTests.key, tenantID: tenant, key: SyncFixture.secretKey, on: db)
            let tick = try await Fixtures.tick(at: "2026-03-10T02:00:05Z", on: db)
            #expect(tick.runs == 1 && tick.jobs == 1, "one refresh job, no sync job yet")
            let jobs = try await db.query("SELECT kind, run_id FROM jobs WHERE tenant_id = \(tenant)")
            #expect(try jobs.map { try $0.decode("kind", as: String.self) } == [UsageRefreshKind.name])
            let runID: Int64 = try jobs[0].decode("run_id")
            #expect(try await Runs.startStalledSyncs(on: db) == 0, "its refresh is still queued")

            // Its worker died on the last attempt: the job ended failed, and no refresh started the syncs.
            try await db.execute("""
                UPDATE jobs SET state = 'failed', finished_at = now(), last_error = 'its worker stopped while running it'
                WHERE tenant_id = \(tenant) AND kind = \(UsageRefreshKind.name)
                """)
            #expect(try await Runs.startStalledSyncs(on: db) == 1)
            let progress = try #require(try await Runs.progress(tenantID: tenant, runID: runID, on: db))
            #expect(!progress.refreshing && progress.jobCount == 6 && progress.queued == 6)
            #expect(progress.refreshError == "its worker stopped while running it")
            #expect(try await Runs.startStalledSyncs(on: db) == 0, "once")
        }
    }

    @Test func aScheduledRefreshStartsItsLeadEarlyAndItsSyncsWaitForTheDueTime() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            // Due in 5 minutes; the tenant's refreshes take up to 10.
            let tenant = try await Fixtures.addScheduledTenant(
                "early-msp", createdAt: ISO8601DateFormatter().string(from: Date()), on: db)
            try await db.execute("""
                UPDATE tenants SET schedule_time = (now() AT TIME ZONE 'UTC' + interval '5 minutes')::time(0),
                                   refresh_lead = interval '10 minutes'
                WHERE tenant_id = \(tenant)
                """)
            try await Fixtures.addTargets(tenant: tenant, organizations: 2, mapped: ["edr"], on: db)
            #expect(try await Scheduler.tick(on: db).createdNothing, "no key: the run waits for its due time")
            try await HuntressKey.store(UsageRefreshTests.key, tenantID: tenant, key: SyncFixture.secretKey, on: db)
            #expect(try await Scheduler.tick(on: db) == SchedulerTick(runs: 1, jobs: 1), "the refresh starts now")
            let run = try await db.query("SELECT run_id, due_at > now() AS ahead FROM runs WHERE tenant_id = \(tenant)")[0]
            #expect(try run.decode("ahead", as: Bool.self))
            try await db.execute("""
                UPDATE jobs SET state = 'failed', finished_at = now(), last_error = 'stopped' WHERE tenant_id = \(tenant)
                """)
            #expect(try await Runs.startStalledSyncs(on: db) == 1)
            let early = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs j JOIN runs r USING (tenant_id, run_id)
                WHERE j.tenant_id = \(tenant) AND j.kind = 'sync' AND j.run_at = r.due_at
                """, on: db)
            #expect(early == 2, "the syncs wait for the due time")
        }
    }

    /// The whole daily path with real processes: a `tally scheduler` creates
    /// the tenant's run its refresh lead early, a worker refreshes from
    /// Huntress, and at the due time the syncs bill Huntress's counts.
    @Test func aScheduledRunOfTheSchedulerProcessBillsWhatHuntressCountsThatDay() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            let counts = try await Self.huntressCounts(tenant, plus: 3, on: db)
            try await UsageRefreshTests.useHuntress(counts, tenant: tenant, fixture: fixture)
            // Due in 8 seconds (time for a worker to start and refresh), in a zone where that is not across midnight.
            let hour = try await db.query("SELECT extract(hour FROM now() AT TIME ZONE 'UTC')::int AS h")[0].decode("h", as: Int.self)
            let zone = hour == 23 ? "Asia/Tokyo" : "UTC"
            try await db.execute("""
                UPDATE tenants SET schedule_kind = 'daily', time_zone = \(zone), created_at = now(),
                                   schedule_time = (now() AT TIME ZONE \(zone) + interval '8 seconds')::time(0),
                                   refresh_lead = interval '10 minutes'
                WHERE tenant_id = \(tenant)
                """)
            // Autotask's "today" is the tenant's (its adjustments are effective then), also in Tokyo after 23:00 UTC.
            let today: String = try await db.query(
                "SELECT to_char((now() AT TIME ZONE \(zone))::date, 'YYYY-MM-DD') AS d")[0].decode("d")
            await fixture.simulator.state.setToday(SimDay(today))
            let workers = try fixture.startWorkers(1)
            let scheduler = try WorkerProcess(fixture.configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"])
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(30)) {
                try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM runs r
                    WHERE r.tenant_id = \(tenant) AND r.trigger = 'daily' AND r.phase = 'syncing'
                      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id
                                      AND j.state IN ('queued', 'running'))
                      AND EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.kind = 'sync')
                    """, on: db) == 1
            }, "\(scheduler.log)")
            let run = try await db.query("""
                SELECT (SELECT min(started_at) FROM jobs j WHERE j.run_id = r.run_id AND j.kind = 'sync') >= r.due_at AS synced_when_due,
                       (SELECT max(finished_at) FROM jobs j WHERE j.run_id = r.run_id AND j.kind = 'usage_refresh') < r.due_at AS refreshed_before
                FROM runs r WHERE r.tenant_id = \(tenant) AND r.trigger = 'daily'
                """)[0]
            #expect(try run.decode("synced_when_due", as: Bool.self), "the syncs waited for the due time")
            #expect(try run.decode("refreshed_before", as: Bool.self), "the refresh ran its lead early")
            for organization in counts {
                #expect(try await UsageRefreshTests.units(tenant, organization.id, "edr", on: db) == organization.billableAgentsCount)
                #expect(try await UsageRefreshTests.units(tenant, organization.id, "m365", on: db) == organization.billableIdentityCount)
            }
            #expect(try await fixture.mismatches() == [], "Autotask bills what Huntress counted")
            scheduler.signal(SIGTERM)
            #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0)
            await workers.stopAll()
        }
    }

    /// A worker SIGKILLed while its refresh waits on Huntress: the refresh runs
    /// again elsewhere after its lease, the run's syncs start once, and every
    /// change is written once.
    @Test func aWorkerKilledMidRefreshLosesNothingAndDoublesNothing() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let tenant = fixture.tenantIDs[0], db = fixture.connection
            let needed = try await fixture.makeEverySyncAChange()
            try await UsageRefreshTests.useHuntress(
                try await Self.huntressCounts(tenant, plus: 0, on: db), tenant: tenant, fixture: fixture)
            await fixture.simulator.state.setHuntressFaults(try FaultSpec(parsing: "latency=1500"))
            let arguments = ["--concurrency", "2", "--lease-seconds", "2", "--retry-base-seconds", "0.2"]
            let victim = try fixture.startWorkers(1, arguments: arguments)[0]
            let run = try await Runs.syncNow(tenantID: tenant, on: db)
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM jobs WHERE kind = 'usage_refresh' AND state = 'running' AND started_at IS NOT NULL
                """, toBe: 1, on: db, timeout: .seconds(20)))
            victim.signal(SIGKILL)
            _ = await victim.waitForExit()
            await fixture.simulator.state.setHuntressFaults(FaultSpec())
            let survivors = try fixture.startWorkers(1, arguments: arguments)
            let progress = try await Self.waitForRun(tenant, run.runID, on: db)
            #expect(progress.jobCount == 6 && progress.succeeded == 6 && progress.refreshError == nil, "\(progress)")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs WHERE tenant_id = \(tenant) AND run_id = \(run.runID) AND kind = 'sync'
                """, on: db) == 6, "the syncs started once")
            #expect(try await Fixtures.count("""
                SELECT attempts AS n FROM jobs WHERE tenant_id = \(tenant) AND kind = 'usage_refresh'
                """, on: db) == 2, "the killed attempt and the one that finished")
            #expect(try await fixture.mismatches() == [])
            #expect(await fixture.tallyAdjustments().count == needed.count, "each change once")
            await survivors.stopAll()
        }
    }
}
