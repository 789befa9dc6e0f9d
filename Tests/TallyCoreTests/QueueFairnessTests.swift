import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Queue fairness and wake-up, with worker processes", .serialized)
struct QueueFairnessTests {
    /// Seconds from a job's creation to its start, by the database's clock.
    func startDelay(_ uniqueKey: String, on db: Connection) async throws -> Double? {
        try await db.query("""
            SELECT extract(epoch FROM started_at - created_at)::float8 AS delay FROM jobs WHERE unique_key = \(uniqueKey)
            """).first?.decode("delay", as: Double?.self)
    }

    /// 1 when the worker process is in its idle wait: it listens, none of its
    /// sessions is busy, one of its claims came back after the last job ended
    /// (empty: there was nothing to take), and none of its sessions has moved
    /// for 50 ms since (the other task's claim, and the gap between a job's end
    /// and its task's next claim, are past).
    static let workerIsIdle: SQL = """
        SELECT coalesce(
                   bool_or(query LIKE 'LISTEN %')
                   AND bool_and(state = 'idle')
                   AND bool_or(query LIKE '%candidate AS (%'
                               AND state_change > (SELECT coalesce(max(finished_at), '-infinity') FROM jobs))
                   AND max(state_change) < clock_timestamp() - interval '50 milliseconds',
                   false)::int AS n
        FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tally worker'
        """

    @Test func aTenantsBacklogOf100000DoesNotDelayAnotherTenantsJob() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [4, 3], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT \(tenants[0]), 'noop', 'backlog-' || g, '{"sleep_ms": 20}' FROM generate_series(1, 100000) AS g
                """)
            // Every task of the worker is busy with tenant 0's backlog.
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "4", "--batch-size", "10"])
            #expect(try await Fixtures.waitFor(
                "SELECT least(count(*), 40)::int AS n FROM jobs WHERE state = 'succeeded'", toBe: 40, on: db))
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args) VALUES (\(tenants[1]), 'noop', 'other', '{}')
                """)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE unique_key = 'other' AND state = 'succeeded'", toBe: 1, on: db))
            let delay = try #require(try await startDelay("other", on: db))
            #expect(delay < 2, "the other tenant's job waited \(delay) s behind the backlog")
            let backlogLeft = try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'queued'", on: db)
            #expect(backlogLeft > 90_000)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    @Test func syncNowPriorityOutranksScheduledWorkOfOtherTenants() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [1, 1, 1], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT \(tenants[0]), 'noop', 'busy-' || g, '{"sleep_ms": 100, "record": true}' FROM generate_series(1, 50) AS g
                """)
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "1", "--batch-size", "1"])
            #expect(try await Fixtures.waitFor("SELECT least(count(*), 1)::int AS n FROM noop_runs", toBe: 1, on: db))
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args, priority)
                VALUES (\(tenants[1]), 'noop', 'scheduled', '{}', \(JobPriority.scheduled))
                """)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args, priority)
                VALUES (\(tenants[2]), 'noop', 'sync-now', '{}', \(JobPriority.syncNow))
                """)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE unique_key IN ('scheduled', 'sync-now') AND state = 'succeeded'",
                toBe: 2, on: db))
            let order = try await db.query("""
                SELECT unique_key FROM jobs WHERE unique_key IN ('scheduled', 'sync-now') ORDER BY started_at
                """).map { try $0.decode("unique_key", as: String.self) }
            #expect(order == ["sync-now", "scheduled"])
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    @Test func anIdleWorkerWakesOnNotifyWithin200ms() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3], on: db)
            // Polling every 30 s: only the notification can start the job quickly.
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "2", "--poll-seconds", "30"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM workers", toBe: 1, on: db))
            var delays: [Double] = []
            for index in 0..<5 {
                // The worker is back in its idle wait between jobs, so that only the notification can start the next one.
                #expect(try await Fixtures.waitFor(Self.workerIsIdle, toBe: 1, on: db, timeout: .seconds(10)))
                try await db.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (\(tenants[0]), 'noop', \("wake-\(index)"))
                    """)
                #expect(try await Fixtures.waitFor(
                    "SELECT count(*)::int AS n FROM jobs WHERE unique_key = \("wake-\(index)") AND state = 'succeeded'",
                    toBe: 1, on: db, timeout: .seconds(10)))
                delays.append(try #require(try await startDelay("wake-\(index)", on: db)))
            }
            #expect(delays.allSatisfy { $0 < 0.2 }, "start delays: \(delays)")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    @Test func pollingFindsWorkThatNoNotificationAnnounced() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3], on: db)
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "1", "--poll-seconds", "0.5"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM workers", toBe: 1, on: db))
            // The insert's notification comes before the job is due; nothing announces the due time.
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, run_at)
                VALUES (\(tenants[0]), 'noop', 'later', now() + interval '1.5 seconds')
                """)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE unique_key = 'later' AND state = 'succeeded'", toBe: 1, on: db,
                timeout: .seconds(10)))
            let lateness = try await db.query("""
                SELECT extract(epoch FROM started_at - run_at)::float8 AS late FROM jobs WHERE unique_key = 'later'
                """)[0].decode("late", as: Double.self)
            #expect(lateness >= 0)
            #expect(lateness < 1.5, "started \(lateness) s after it was due")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    /// Claims that empty a tenant together can each still see the others'
    /// jobs, so a run over many tenants leaves many looking ready with nothing
    /// queued (`queue_tenants`). Each claim that finds such a tenant corrects
    /// it; a task goes on at once while its claims correct something.
    @Test func manyStaleHintsDoNotDelayAJobBehindThem() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await db.execute("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, concurrency_cap)
                SELECT 'stale-' || g, 'Stale ' || g, 'api' || g, 'CODE', 1 FROM generate_series(1, 300) AS g
                """)
            try await db.execute("""
                INSERT INTO queue_tenants (tenant_id, ready_at, top_priority)
                SELECT tenant_id, now() - interval '1 minute', 0 FROM tenants
                ON CONFLICT (tenant_id) DO UPDATE SET ready_at = excluded.ready_at
                """)
            // The waiting job's tenant comes last in the claims' order.
            let last = try await db.query("SELECT max(tenant_id) AS id FROM tenants")[0].decode("id", as: Int64.self)
            try await db.execute("UPDATE queue_slots SET last_claimed_at = now() WHERE tenant_id = \(last)")
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "1", "--poll-seconds", "30"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM workers", toBe: 1, on: db))
            try await db.execute("INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (\(last), 'noop', 'behind')")
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE unique_key = 'behind' AND state = 'succeeded'", toBe: 1, on: db,
                timeout: .seconds(10)))
            let delay = try #require(try await startDelay("behind", on: db))
            #expect(delay < 5, "the job waited \(delay) s behind 299 stale tenants")
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM queue_tenants WHERE ready_at IS NOT NULL", on: db) == 0)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }
}
