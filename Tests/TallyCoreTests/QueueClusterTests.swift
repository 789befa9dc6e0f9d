import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The queue driven by real `tally worker` processes. Serialized: the
/// processes of one test would otherwise compete for two cores with another's.
@Suite("Queue with worker processes", .serialized)
struct QueueClusterTests {
    @Test func tenantCapsHoldAcrossProcessesAndEveryJobRunsOnce() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3, 3, 3], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT t, 'noop', 'job-' || g, '{"record": true, "sleep_ms": 5}'
                FROM unnest(\(tenants)::bigint[]) AS t, generate_series(1, 200) AS g
                """)
            let workers = try (0..<4).map { _ in
                try WorkerProcess(configuration, arguments: ["--concurrency", "8", "--batch-size", "5"])
            }
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await Fixtures.queuedCountMismatches(on: db) == [], "while four workers drain the queue")
            }
            let drained = try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'", toBe: 600, on: db, timeout: .seconds(90))
            #expect(drained, "\(workers[0].log)")
            let runs = try await Fixtures.count("SELECT count(*)::int AS n FROM noop_runs WHERE ended_at IS NOT NULL", on: db)
            let distinctJobs = try await Fixtures.count("SELECT count(DISTINCT (tenant_id, job_id))::int AS n FROM noop_runs", on: db)
            #expect(runs == 600)
            #expect(distinctJobs == 600)
            let overlaps = try await db.query("""
                SELECT a.tenant_id, max((SELECT count(*) FROM noop_runs b
                                         WHERE b.tenant_id = a.tenant_id
                                           AND b.started_at <= a.started_at AND b.ended_at > a.started_at))::int AS n
                FROM noop_runs a GROUP BY a.tenant_id
                """)
            let peaks = try overlaps.map { try $0.decode("n", as: Int.self) }
            #expect(peaks.count == 3)
            #expect(peaks.allSatisfy { $0 <= 3 }, "a tenant ran more than its cap at once: \(peaks)")
            #expect(peaks.contains { $0 >= 2 }, "jobs never overlapped, so the cap was not exercised: \(peaks)")
            let workersUsed = try await Fixtures.count("SELECT count(DISTINCT worker_id)::int AS n FROM noop_runs", on: db)
            #expect(workersUsed >= 2)
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers { #expect(await worker.waitForExit() == 0) }
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM workers", on: db) == 0)
        }
    }

    @Test func aKilledWorkersJobsRunAgainAfterTheLeaseAndNeverTwiceAtOnce() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT \(tenants[0]), 'noop', 'job-' || g, '{"record": true, "sleep_ms": 300}'
                FROM generate_series(1, 30) AS g
                """)
            let arguments = ["--concurrency", "3", "--batch-size", "3", "--lease-seconds", "1.5"]
            let victim = try WorkerProcess(configuration, arguments: arguments)
            #expect(try await Fixtures.waitFor("""
                SELECT least(count(*), 1)::int AS n FROM noop_runs r JOIN workers w USING (worker_id)
                WHERE w.pid = \(Int(victim.pid)) AND r.ended_at IS NULL
                """, toBe: 1, on: db))
            victim.signal(SIGKILL)
            let killedAt = try await db.query("SELECT clock_timestamp() AS at")[0].decode("at", as: Date.self)
            _ = await victim.waitForExit()
            let survivor = try WorkerProcess(configuration, arguments: arguments)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'", toBe: 30, on: db), "\(survivor.log)")
            let interrupted = try await Fixtures.count("SELECT count(*)::int AS n FROM noop_runs WHERE ended_at IS NULL", on: db)
            #expect(interrupted >= 1, "the kill interrupted no job")
            let notOnce = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs j
                WHERE (SELECT count(*) FROM noop_runs r WHERE r.job_id = j.job_id AND r.ended_at IS NOT NULL) <> 1
                """, on: db)
            #expect(notOnce == 0, "some job did not complete exactly once")
            let rerunEarly = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM noop_runs again JOIN noop_runs cut USING (tenant_id, job_id)
                WHERE cut.ended_at IS NULL AND again.ended_at IS NOT NULL AND again.started_at < \(killedAt)
                """, on: db)
            #expect(rerunEarly == 0, "a job ran again while its killed run still held it")
            // A job lost alone used its attempt; one lost in a batch of several got it
            // back (sql/015): no job is charged more attempts than it had runs.
            let overcharged = try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs j
                WHERE j.attempts < 1 OR j.attempts > (SELECT count(*) FROM noop_runs r WHERE r.job_id = j.job_id)
                """, on: db)
            #expect(overcharged == 0)
            survivor.signal(SIGTERM)
            #expect(await survivor.waitForExit() == 0)
        }
    }

    @Test func sigtermFinishesTheRunningJobAndHandsBackTheRestWithoutUsingAttempts() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [1], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT \(tenants[0]), 'noop', 'job-' || g, '{"record": true, "sleep_ms": 600}'
                FROM generate_series(1, 10) AS g
                """)
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "1", "--batch-size", "10", "--grace-seconds", "10"])
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM noop_runs WHERE ended_at IS NULL", toBe: 1, on: db))
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0, "\(worker.log)")
            let succeeded = try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'", on: db)
            #expect((1...2).contains(succeeded), "the in-flight job should finish")
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM jobs
                WHERE state = 'queued' AND attempts = 0 AND worker_id IS NULL AND started_at IS NULL
                """, on: db) == 10 - succeeded)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM noop_runs WHERE ended_at IS NULL", on: db) == 0)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queue_slots WHERE holder_worker IS NOT NULL", on: db) == 0)
        }
    }

    @Test func pastTheGracePeriodARunningJobIsHandedBackWithoutUsingAnAttempt() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [1], on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                VALUES (\(tenants[0]), 'noop', 'long', '{"record": true, "sleep_ms": 60000}')
                """)
            let worker = try WorkerProcess(configuration, arguments: ["--concurrency", "1", "--grace-seconds", "0.3"])
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM noop_runs", toBe: 1, on: db))
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(timeout: .seconds(10)) == 0, "\(worker.log)")
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND attempts = 0", on: db) == 1)
        }
    }
}
