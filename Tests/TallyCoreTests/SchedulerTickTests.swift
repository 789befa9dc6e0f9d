import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

/// What a tick creates: runs and their jobs, once, for the tenants that are due.
@Suite("Scheduler ticks")
struct SchedulerTickTests {
    @Test func aRunGetsOneSyncJobPerTargetAndTheWorkersHearOfThem() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addScheduledTenant("acme", on: db)
            try await Fixtures.addTargets(tenant: tenant, organizations: 3, mapped: ["edr"], on: db)
            // Usage of an unmapped product makes a target too (sync_targets, sql/003).
            try await db.execute("""
                INSERT INTO usage (tenant_id, organization_id, product, units, source, observed_at)
                VALUES (\(tenant), 2, 'm365', 7, 'sql', now())
                """)
            let empty = try await Fixtures.addScheduledTenant("empty", on: db)
            let listener = try await Connection.connect(configuration)
            try await listener.listen("tally_jobs")

            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db) == SchedulerTick(runs: 2, jobs: 4))

            let run = try await db.query("""
                SELECT run_id, trigger, job_count, finished_at IS NULL AS open FROM runs WHERE tenant_id = \(tenant)
                """)[0]
            let runID: Int64 = try run.decode("run_id")
            #expect(try run.decode("trigger", as: String.self) == "daily")
            #expect(try run.decode("job_count", as: Int.self) == 4)
            #expect(try run.decode("open", as: Bool.self))
            let jobs = try await db.query("""
                SELECT kind, unique_key, args->>'organization_id' AS organization, args->>'product' AS product,
                       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(args) k)::text AS keys,
                       jsonb_typeof(args->'organization_id') AS organization_type,
                       run_id, priority, max_attempts, state, attempts
                FROM jobs WHERE tenant_id = \(tenant) ORDER BY unique_key
                """)
            #expect(try jobs.map { try $0.decode("unique_key", as: String.self) } == [
                "sync:\(runID):1:edr", "sync:\(runID):2:edr", "sync:\(runID):2:m365", "sync:\(runID):3:edr",
            ])
            #expect(try jobs.map { "\(try $0.decode("organization", as: String.self)):\(try $0.decode("product", as: String.self))" }
                == ["1:edr", "2:edr", "2:m365", "3:edr"])
            for job in jobs {
                #expect(try job.decode("kind", as: String.self) == "sync")
                #expect(try job.decode("keys", as: String.self) == "{organization_id,product}")
                #expect(try job.decode("organization_type", as: String.self) == "number")
                #expect(try job.decode("run_id", as: Int64.self) == runID)
                #expect(try job.decode("priority", as: Int.self) == JobPriority.scheduled)
                #expect(try job.decode("max_attempts", as: Int.self) == 8)
                #expect(try job.decode("state", as: String.self) == "queued")
                #expect(try job.decode("attempts", as: Int.self) == 0)
            }

            // A run with nothing to sync is finished when created.
            let emptyRun = try await db.query("""
                SELECT job_count, finished_at IS NOT NULL AS finished FROM runs WHERE tenant_id = \(empty)
                """)[0]
            #expect(try emptyRun.decode("job_count", as: Int.self) == 0)
            #expect(try emptyRun.decode("finished", as: Bool.self))

            // The workers' view: the tenant is marked ready (and only it), and they were woken.
            let ready = try await db.query("""
                SELECT tenant_id, top_priority FROM queue_tenants WHERE ready_at IS NOT NULL
                """)
            #expect(try ready.map { try $0.decode("tenant_id", as: Int64.self) } == [tenant])
            #expect(try ready.first?.decode("top_priority", as: Int.self) == JobPriority.scheduled)
            let notifications = try await listener.notifications(timeout: .seconds(5))
            #expect(notifications.contains { $0.channel == "tally_jobs" })
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND run_at <= now()
                """, on: db) == 4)
        }
    }

    @Test func tickingAgainCreatesNothing() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("twice", on: db)
            try await Fixtures.addTargets(tenant: tenant, organizations: 5, mapped: ["edr", "m365"], on: db)
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db) == SchedulerTick(runs: 1, jobs: 10))
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db) == SchedulerTick(runs: 0, jobs: 0))
            #expect(try await Fixtures.tick(at: "2026-02-02T01:59:59Z", on: db) == SchedulerTick(runs: 0, jobs: 0))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM runs", on: db) == 1)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs", on: db) == 10)
        }
    }

    @Test func afterDowntimeOnlyTheLatestMissedRunIsCreatedOnce() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let daily = try await Fixtures.addScheduledTenant("daily", on: db)
            let monthly = try await Fixtures.addScheduledTenant("monthly", kind: "monthly", day: 1, time: "06:00", on: db)
            try await Fixtures.addTargets(tenant: daily, organizations: 2, mapped: ["edr"], on: db)
            #expect(try await Fixtures.tick(at: "2026-01-02T03:00:00Z", on: db).runs == 2)
            // Down from 2 January to 20 March: 77 daily and 2 monthly runs missed.
            #expect(try await Fixtures.tick(at: "2026-03-20T12:00:00Z", on: db) == SchedulerTick(runs: 2, jobs: 2))
            #expect(try await Fixtures.tick(at: "2026-03-20T12:01:00Z", on: db) == SchedulerTick(runs: 0, jobs: 0))
            #expect(try await Fixtures.dueTimes(of: daily, on: db) == ["2026-01-02T02:00:00Z", "2026-03-20T02:00:00Z"])
            #expect(try await Fixtures.dueTimes(of: monthly, on: db) == ["2026-01-01T06:00:00Z", "2026-03-01T06:00:00Z"])
        }
    }

    @Test func noRunIsDueBeforeTheTenantExisted() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("new", time: "02:00", createdAt: "2026-01-10T09:00:00Z", on: db)
            #expect(try await Fixtures.tick(at: "2026-01-10T12:00:00Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-01-11T02:00:00Z", on: db).runs == 1)
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == ["2026-01-11T02:00:00Z"])
        }
    }

    @Test func aScheduleChangeTakesEffectAtTheNextTickWithoutARunForAPastPeriod() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("changing", time: "10:00", on: db)
            #expect(try await Fixtures.tick(at: "2026-02-01T10:05:00Z", on: db).runs == 1)

            // Moved earlier in the day: today's 08:00 is older than today's run, so nothing now…
            try await db.execute("UPDATE tenants SET schedule_time = '08:00' WHERE tenant_id = \(tenant)")
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-02-02T07:59:59Z", on: db).runs == 0)
            // …and tomorrow at the new time.
            #expect(try await Fixtures.tick(at: "2026-02-02T08:00:00Z", on: db).runs == 1)

            // A new time zone whose latest due time is older than the latest run: nothing.
            try await db.execute("UPDATE tenants SET time_zone = 'America/Los_Angeles' WHERE tenant_id = \(tenant)")
            #expect(try await Fixtures.tick(at: "2026-02-02T12:00:00Z", on: db).runs == 0)  // 08:00 PST = 16:00Z, latest 2026-02-01T16:00Z
            #expect(try await Fixtures.tick(at: "2026-02-02T16:00:00Z", on: db).runs == 1)

            // Monthly on a day already past this month: the next run is next month's.
            try await db.execute("""
                UPDATE tenants SET schedule_kind = 'monthly', schedule_day = 1, time_zone = 'UTC' WHERE tenant_id = \(tenant)
                """)
            #expect(try await Fixtures.tick(at: "2026-02-20T12:00:00Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-03-01T08:00:00Z", on: db).runs == 1)

            // Moved later in the current period: the run at the new time is today's (latest due after the latest run).
            try await db.execute("UPDATE tenants SET schedule_kind = 'daily', schedule_day = NULL WHERE tenant_id = \(tenant)")
            try await db.execute("UPDATE tenants SET schedule_time = '18:00' WHERE tenant_id = \(tenant)")
            #expect(try await Fixtures.tick(at: "2026-03-01T17:59:59Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-03-01T18:00:00Z", on: db).runs == 1)

            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == [
                "2026-02-01T10:00:00Z", "2026-02-02T08:00:00Z", "2026-02-02T16:00:00Z", "2026-03-01T08:00:00Z",
                "2026-03-01T18:00:00Z",
            ])
            let triggers = try await db.query("SELECT trigger FROM runs ORDER BY due_at").map { try $0.decode("trigger", as: String.self) }
            #expect(triggers == ["daily", "daily", "daily", "monthly", "daily"])
        }
    }

    @Test func pausedAndManualTenantsGetNoRuns() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let paused = try await Fixtures.addScheduledTenant("paused", paused: true, on: db)
            let manual = try await Fixtures.addScheduledTenant("manual", kind: "manual", on: db)
            for tenant in [paused, manual] {
                try await Fixtures.addTargets(tenant: tenant, organizations: 2, mapped: ["edr"], on: db)
            }
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db) == SchedulerTick(runs: 0, jobs: 0))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs", on: db) == 0)

            // Resumed: the latest due run, not the ones missed while paused.
            try await db.execute("UPDATE tenants SET paused = false WHERE tenant_id = \(paused)")
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db) == SchedulerTick(runs: 1, jobs: 2))
            #expect(try await Fixtures.dueTimes(of: paused, on: db) == ["2026-02-01T02:00:00Z"])
            #expect(try await Fixtures.dueTimes(of: manual, on: db) == [])
        }
    }

    @Test func aSyncNowRunDoesNotStandInForAScheduledOne() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("synced", on: db)
            try await db.execute("INSERT INTO runs (tenant_id, trigger, requested_by) VALUES (\(tenant), 'sync_now', 'ops')")
            #expect(try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db).runs == 1)
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == ["2026-02-01T02:00:00Z"])
        }
    }

    /// A zone PostgreSQL does not know (a row from before the CHECK, or a zone
    /// dropped from the server's time zone data) fails `AT TIME ZONE`: that
    /// tenant is left out and named, the others' runs are created (issue 18).
    @Test func oneTenantsUnknownTimeZoneDoesNotStopTheOthersRuns() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let acme = try await Fixtures.addScheduledTenant("acme", on: db)
            let lost = try await Fixtures.addScheduledTenant("lost", zone: "Europe/Berlin", on: db)
            let globex = try await Fixtures.addScheduledTenant("globex", zone: "America/New_York", on: db)
            try await db.executeScript("""
                ALTER TABLE tenants DROP CONSTRAINT tenants_time_zone_check;
                UPDATE tenants SET time_zone = 'Mars/Olympus' WHERE tenant_id = \(lost);
                ALTER TABLE tenants ADD CONSTRAINT tenants_time_zone_check CHECK (tally_is_time_zone(time_zone)) NOT VALID;
                """, name: "a zone the server no longer knows")
            let tick = try await Fixtures.tick(at: "2026-02-01T12:00:00Z", on: db)
            #expect(tick.runs == 2)
            #expect(tick.unknownTimeZones == [.init(tenantID: lost, slug: "lost", timeZone: "Mars/Olympus")])
            let scheduled = try await db.query("SELECT tenant_id FROM runs ORDER BY tenant_id").map { try $0.decode("tenant_id", as: Int64.self) }
            #expect(scheduled == [acme, globex])
        }
    }
}
