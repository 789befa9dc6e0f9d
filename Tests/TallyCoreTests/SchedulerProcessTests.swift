import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real `tally scheduler` processes against one database. Serialized for the
/// same reason as the worker-process tests: two cores.
@Suite("Scheduler processes", .serialized)
struct SchedulerProcessTests {
    @Test func threeSchedulersAtOnceCreateEachRunExactlyOnce() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let zones = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
            try await db.execute("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, time_zone, created_at)
                SELECT 'tenant-' || g, 'Tenant ' || g, 'api' || g, 'CODE', (\(zones)::text[])[1 + g % 4], now() - interval '2 days'
                FROM generate_series(1, 200) g
                """)
            try await db.execute("""
                INSERT INTO organizations (tenant_id, organization_id, name)
                SELECT tenant_id, g, 'Organization ' || g FROM tenants, generate_series(1, 5) g
                """)
            try await db.execute("INSERT INTO service_mappings (tenant_id, product, service_id) SELECT tenant_id, product, 1 FROM tenants, products")
            // Due a minute ago in each tenant's own time zone.
            try await db.execute("""
                UPDATE tenants SET schedule_time = ((now() AT TIME ZONE time_zone) - interval '1 minute')::time
                """)

            let schedulers = try (0..<3).map { _ in
                try WorkerProcess(configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"])
            }
            let created = try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs", toBe: 2000, on: db, timeout: .seconds(20))
            #expect(created, "\(schedulers[0].log)")
            // Two more whole ticks of each, then compare.
            #expect(try await Self.waitForFreshTicks(2, of: schedulers.count, on: db), "\(schedulers[0].log)")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM runs", on: db) == 200)
            #expect(try await Fixtures.count("SELECT count(DISTINCT tenant_id)::int AS n FROM runs", on: db) == 200)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs", on: db) == 2000)
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM runs r
                WHERE r.job_count <> 10 OR r.job_count <> (SELECT count(*) FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id)
                """, on: db) == 0)
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM runs WHERE due_at > now() OR due_at < now() - interval '2 minutes'
                """, on: db) == 0)

            for scheduler in schedulers { scheduler.signal(SIGTERM) }
            for scheduler in schedulers { #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0) }
            // The runs each process says it created add up to the runs there are: none was counted twice.
            let logs = schedulers.map(\.log)
            let reported = logs.map(Self.runsReported).reduce(0, +)
            #expect(reported == 200, "\(logs.joined(separator: "\n---\n"))")
            #expect(logs.allSatisfy { $0.contains("scheduler stopped") })
        }
    }

    /// Issue 9, scenario 6 (short form): three schedulers, one of them
    /// SIGKILLed and replaced every 0.3–0.8 s, while 40 tenants are overdue and
    /// 60 more fall due one after another over 12 s: exactly one run per due
    /// period, each with all of its jobs.
    @Test func schedulersKilledAmongThemselvesStillCreateEachRunExactlyOnce() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await SchedulerChaos.addTenants(
                count: 100, overdue: 40, spacingMilliseconds: 200, leadMilliseconds: 1000, prefix: "tenant", on: db)
            let start = { try WorkerProcess(configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"]) }
            var schedulers = try (0..<3).map { _ in try start() }
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            let killing = ContinuousClock.now
            while ContinuousClock.now - killing < .seconds(15) {
                // The random time between kills is the point: they land anywhere in the schedulers' ticks.
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...800, using: &generator)))
                let victim = Int.random(in: 0..<schedulers.count, using: &generator)
                schedulers[victim].signal(SIGKILL)
                _ = await schedulers[victim].waitForExit()
                kills += 1
                schedulers[victim] = try start()
            }
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM runs", toBe: 100, on: db, timeout: .seconds(20)))
            // Two more whole ticks of each scheduler left running, then compare.
            #expect(try await Self.waitForFreshTicks(2, of: schedulers.count, on: db))
            #expect(kills >= 15)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM runs", on: db) == 100)
            #expect(try await Fixtures.count("SELECT count(DISTINCT tenant_id)::int AS n FROM runs", on: db) == 100)
            // Each run is the tenant's due instant today, with its 6 jobs.
            #expect(try await SchedulerChaos.misplacedRuns(on: db) == 0)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs", on: db) == 600)
            await schedulers.stopAll()
        }
    }

    /// Waits until each of `count` scheduler processes has run `ticks` whole
    /// ticks that began after this call; answers whether they did. A tick is
    /// one transaction on the scheduler's one session: a session seen idle is
    /// between ticks, so a COMMIT it shows later ends a tick that began after
    /// it was seen, and it is seen idle again then.
    static func waitForFreshTicks(_ ticks: Int, of count: Int, on db: Connection) async throws -> Bool {
        var seen = "-infinity"
        for round in 0...ticks {
            // Round 0 sees every session idle; each later round, a tick of each ended since the round before.
            let done = try await TestDatabase.waitUntil {
                let row = try await db.query("""
                    SELECT count(*) FILTER (
                               WHERE state = 'idle'
                                 AND (\(round == 0)::boolean OR (query = 'COMMIT' AND state_change > \(seen)::timestamptz)))::int AS n,
                           coalesce(bool_and(state = 'idle'), false) AS idle, clock_timestamp()::text AS at
                    FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tally scheduler'
                    """)[0]
                guard try row.decode("n", as: Int.self) >= count, try row.decode("idle", as: Bool.self) else { return false }
                seen = try row.decode("at")
                return true
            }
            guard done else { return false }
        }
        return true
    }

    /// Sums `runs=N` over a scheduler's "created" log lines.
    static func runsReported(in log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("scheduler tick created runs") }.map { line -> Int in
            guard let range = line.range(of: #"runs=\d+"#, options: .regularExpression) else { return 0 }
            return Int(line[range].dropFirst("runs=".count)) ?? 0
        }.reduce(0, +)
    }

    @Test func theSchedulerKeepsTickingAcrossADatabaseOutage() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addScheduledTenant("outage", createdAt: "2026-01-01T00:00:00Z", on: db)
            // Due an hour ago (UTC); later moved to a second ago, a later instant whatever the hour.
            try await db.execute("""
                UPDATE tenants SET schedule_time = (now() AT TIME ZONE 'UTC' - interval '1 hour')::time WHERE tenant_id = \(tenant)
                """)
            let scheduler = try WorkerProcess(configuration, command: "scheduler", arguments: ["--tick-seconds", "0.2"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM runs", toBe: 1, on: db, timeout: .seconds(20)),
                    "\(scheduler.log)")
            // Every session of the scheduler ended by the server, twice (the second time after it
            // reconnected and ticked again); then a new run becomes due.
            for time in 1...2 {
                #expect(try await Fixtures.count("""
                    SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'tally scheduler'
                    """, on: db) > 0, "the scheduler had a session to end")
                #expect(try await TestDatabase.waitUntil(timeout: .seconds(20), poll: .milliseconds(50)) {
                    scheduler.log.components(separatedBy: "scheduler tick succeeded again").count - 1 >= time
                }, "\(scheduler.log)")
            }
            try await db.execute("""
                UPDATE tenants SET schedule_time = (now() AT TIME ZONE 'UTC' - interval '1 second')::time
                WHERE tenant_id = \(tenant)
                """)
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM runs", toBe: 2, on: db, timeout: .seconds(20)),
                    "\(scheduler.log)")
            #expect(scheduler.process.isRunning)
            scheduler.signal(SIGTERM)
            #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0)
            #expect(scheduler.log.contains("scheduler tick failed; retrying"), "\(scheduler.log)")
        }
    }
}
