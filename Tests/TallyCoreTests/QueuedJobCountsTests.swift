import Foundation
import NIOConcurrencyHelpers
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

extension Fixtures {
    /// Where `queued_job_counts` (sql/008) differs from counting the queued
    /// jobs themselves: "tenant/run: counted q/d, actual q/d" lines, empty
    /// when they agree.
    static func queuedCountMismatches(on db: Connection) async throws -> [String] {
        try await db.query("""
            SELECT format('%s/%s: counted %s/%s, actual %s/%s', tenant_id, run_id,
                          counted_queued, counted_deferred, queued, deferred) AS mismatch
            FROM tally_queued_count_mismatches()
            """).map { try $0.decode("mismatch") }
    }
}

/// A counter tasks of a test share.
final class ManagedAtomicCounter: Sendable {
    private let count = NIOLockedValueBox(0)
    func increment() { count.withLockedValue { $0 += 1 } }
    var value: Int { count.withLockedValue { $0 } }
}

@Suite("Queued job counts: kept exact by every way jobs change", .serialized)
struct QueuedJobCountsTests {
    /// The queue gauge every worker and scheduler samples every 5 s reads the maintained
    /// counts, not the queued jobs themselves (issue 18), and agrees with them.
    @Test func theQueueDepthGaugeReadsTheMaintainedCounts() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenants = try await Fixtures.addTenants(caps: [1, 1], on: db)
            for tenant in tenants {
                try await db.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key, run_at) SELECT \(tenant), 'noop', 'g-' || n, now() + n * interval '1 minute'
                    FROM generate_series(1, 40) AS n
                    """)
            }
            try await db.execute("DELETE FROM jobs WHERE unique_key IN ('g-1', 'g-2')")
            let depth = try await QueueDepth.sample(on: db)
            #expect(depth["queued"] == 76 && depth["held"] == 0 && depth["running"] == 0, "\(depth)")
            let plan = try await db.query(SQL("EXPLAIN (COSTS OFF) " + QueueDepth.statement, parameters: []))
                .map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
            #expect(plan.contains("queued_job_counts"), "\(plan)")
            #expect(!plan.contains("state = 'queued'") && !plan.contains("jobs_queued"), "\(plan)")
        }
    }

    /// Claims write their own slot's rows while maintenance folds them into
    /// the runs' rows (sql/024): however the two interleave, no count is lost
    /// or taken twice, and once the claims stop a fold leaves no slot's row.
    @Test func foldingWhileClaimsRunKeepsTheCountsExact() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenants = try await Fixtures.addTenants(caps: [3, 3], on: db)
            let run = try await db.query("INSERT INTO runs (tenant_id, trigger) VALUES (\(tenants[0]), 'sync_now') RETURNING run_id")[0]
                .decode("run_id", as: Int64.self)
            for tenant in tenants {
                try await db.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key, run_id)
                    SELECT \(tenant), 'noop', 'fold-' || n, CASE WHEN n % 2 = 0 AND \(tenant) = \(tenants[0]) THEN \(run)::bigint END
                    FROM generate_series(1, 240) AS n
                    """)
            }
            let claimers = 5
            let folds = ManagedAtomicCounter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<claimers {
                    group.addTask {
                        let connection = try await Connection.connect(configuration)
                        let worker = UUID()
                        while true {
                            let claim = try await JobQueue.claim(
                                worker: worker, task: task, batchSize: 4, lease: .seconds(30), kinds: ["noop"], on: connection)
                            guard let first = claim.jobs.first else {
                                if claim.foundCandidate { continue }
                                break
                            }
                            // Every third batch goes back to the queue (a requeue through the trigger's row).
                            let end: JobEnd = first.jobID % 3 == 0 ? .retry(after: .zero, error: "again") : .finished(.succeeded, message: nil)
                            try await JobQueue.finish(
                                claim.jobs.map { EndedJob($0, first.attempts > 1 ? .finished(.succeeded, message: nil) : end) },
                                worker: worker, releasing: first.slot, on: connection)
                        }
                    }
                }
                group.addTask {
                    let connection = try await Connection.connect(configuration)
                    while try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection) > 0 {
                        try await JobQueue.pruneEmptiedCounts(on: connection)
                        folds.increment()
                    }
                }
                try await group.waitForAll()
            }
            #expect(folds.value > 1, "maintenance folded while claims ran")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state <> 'succeeded'", on: db) == 0)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
            try await JobQueue.pruneEmptiedCounts(on: db)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queued_job_counts", on: db) == 0)
        }
    }

    @Test func countsFollowInsertsClaimsFinishesRequeuesDeferralsDeletesAndTruncates() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenants = try await Fixtures.addTenants(caps: [1, 1, 1], on: db)
            let runs = try await db.query("""
                INSERT INTO runs (tenant_id, trigger) SELECT t, 'sync_now' FROM unnest(\(tenants)::bigint[]) AS t
                RETURNING run_id
                """).map { try $0.decode("run_id", as: Int64.self) }
            // Jobs of a run and jobs of none, two deferred (one of them due), some due later.
            for (tenant, run) in zip(tenants, runs) {
                try await db.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key, run_id, run_at, deferred_reason)
                    SELECT \(tenant), 'noop', 'run-' || n, \(run), now() + (n % 3) * interval '1 hour',
                           CASE WHEN n IN (1, 3) THEN 'budget' END
                    FROM generate_series(1, 12) AS n
                    """)
                _ = try await JobQueue.enqueue(NewJob(tenantID: tenant, kind: "noop", uniqueKey: "loose"), on: db)
            }
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
            #expect(try await Fixtures.count("SELECT sum(queued)::int AS n FROM queued_job_counts", on: db) == 39)

            // A claim (queued to running) and a finish of each kind.
            let worker = UUID()
            let claim = try await JobQueue.claim(worker: worker, task: 1, batchSize: 5, lease: .seconds(30), kinds: ["noop"], on: db)
            #expect(claim.jobs.count == 5)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
            // The claim counted its batch in its own slot's rows (sql/024), not in the rows the triggers keep.
            let claimed = try await db.query("""
                SELECT slot, sum(queued)::int AS queued FROM queued_job_counts WHERE slot > 0 GROUP BY slot
                """).map { [try $0.decode("slot", as: Int.self), try $0.decode("queued", as: Int.self)] }
            #expect(claimed == [[claim.jobs[0].slot, -5]])
            let ends: [JobEnd] = [
                .finished(.succeeded, message: nil), .retry(after: .seconds(60), error: "flaky"),
                .deferred(until: Date() + 600, reason: "budget spent"), .finished(.failed, message: "broken"),
            ]
            for (job, end) in zip(claim.jobs, ends) {
                #expect(try await JobQueue.finish(job, end, worker: worker, on: db))
                #expect(try await Fixtures.queuedCountMismatches(on: db) == [], "after \(end)")
            }
            // The rest of the batch handed back, written together as a worker writes a batch's ends.
            let handedBack = claim.jobs.dropFirst(ends.count).map { EndedJob($0, .handedBack) }
            #expect(try await JobQueue.finish(handedBack, worker: worker, on: db).count == handedBack.count)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])

            // Plain SQL: a deferral cut short, a cancel, a move between runs, a retry of a failed job.
            try await db.executeScript("""
                UPDATE jobs SET deferred_reason = NULL, run_at = now() WHERE deferred_reason IS NOT NULL AND tenant_id = \(tenants[1]);
                UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE unique_key = 'run-5';
                UPDATE jobs SET run_id = NULL WHERE unique_key = 'run-6' AND tenant_id = \(tenants[2]);
                UPDATE jobs SET state = 'queued', finished_at = NULL WHERE state = 'failed';
                """, name: "changes")
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])

            // Unique keys: an insert that conflicts and updates instead.
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, run_at) VALUES (\(tenants[0]), 'noop', 'loose', now() - interval '1 minute')
                ON CONFLICT (tenant_id, unique_key) DO UPDATE SET deferred_reason = 'waiting', run_at = excluded.run_at
                """)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])

            // Deletes: some jobs, then a whole tenant (its jobs and runs go by cascade).
            try await db.execute("DELETE FROM jobs WHERE unique_key IN ('run-7', 'run-8') AND tenant_id = \(tenants[0])")
            try await db.execute("DELETE FROM tenants WHERE tenant_id = \(tenants[1])")
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM queued_job_counts WHERE tenant_id = \(tenants[1])", on: db) == 0)

            // Plain SQL moving jobs to running (no slot: not a claim) is counted
            // by the trigger; the run's row, at zero, goes with maintenance's prune.
            try await db.execute("""
                UPDATE jobs SET state = 'running', lease_expires_at = now() + interval '1 minute', worker_id = \(worker)
                WHERE tenant_id = \(tenants[2]) AND state = 'queued' AND run_id IS NOT NULL
                """)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
            try await JobQueue.pruneEmptiedCounts(on: db)
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM queued_job_counts WHERE tenant_id = \(tenants[2]) AND run_id <> 0", on: db) == 0)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queued_job_counts WHERE queued = 0", on: db) == 0)

            // Counts bypassed (triggers off for a bulk load) are found and put right.
            try await db.executeScript("""
                SET session_replication_role = replica;
                INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (\(tenants[0]), 'noop', 'replicated');
                RESET session_replication_role;
                """, name: "bypass")
            let missed = try await db.query("SELECT tenant_id, run_id, queued - coalesce(counted_queued, 0) AS n FROM tally_queued_count_mismatches()")
            #expect(try missed.map { [try $0.decode("tenant_id", as: Int64.self), try $0.decode("run_id"), Int64(try $0.decode("n", as: Int.self))] }
                    == [[tenants[0], 0, 1]])
            #expect(try await Fixtures.count("SELECT tally_recount_queued_jobs() AS n", on: db) == 1)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])

            try await db.execute("TRUNCATE jobs")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queued_job_counts", on: db) == 0)
        }
    }
}
