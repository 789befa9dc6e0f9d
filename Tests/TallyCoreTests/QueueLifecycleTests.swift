import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Job lifecycle: retries, cancel, uniqueness, leases, pruning", .serialized)
struct QueueLifecycleTests {
    func state(_ key: String, on db: Connection) async throws -> (state: String, attempts: Int, error: String?) {
        let row = try await db.query("SELECT state, attempts, last_error FROM jobs WHERE unique_key = \(key)")[0]
        return (try row.decode("state"), try row.decode("attempts"), try row.decode("last_error"))
    }

    @Test func transientFailuresRetryWithBackOffUntilTheyPassOrRunOutOfAttempts() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            try await db.executeScript("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args, max_attempts) VALUES
                    (\(tenant), 'noop', 'third-time-lucky', '{"succeed_on_attempt": 3}', 5),
                    (\(tenant), 'noop', 'always-flaky', '{"fail": "transient"}', 3),
                    (\(tenant), 'noop', 'broken', '{"fail": "permanent"}', 5),
                    (\(tenant), 'noop', 'malformed', '{"sleep_ms": "soon"}', 5),
                    (\(tenant), 'noop', 'told-to-wait', '{"record": true, "succeed_on_attempt": 2, "retry_after_ms": 1200}', 5)
                """, name: "jobs")
            let worker = try WorkerProcess(configuration, arguments: ["--retry-base-seconds", "0.1", "--poll-seconds", "0.2"])
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('succeeded', 'failed')", toBe: 5, on: db,
                timeout: .seconds(30)), "\(worker.log)")
            let lucky = try await state("third-time-lucky", on: db)
            #expect(lucky.state == "succeeded" && lucky.attempts == 3)
            let flaky = try await state("always-flaky", on: db)
            #expect(flaky.state == "failed" && flaky.attempts == 3)
            #expect(flaky.error?.contains("gave up after 3 attempts") == true)
            let broken = try await state("broken", on: db)
            #expect(broken.state == "failed" && broken.attempts == 1)
            let malformed = try await state("malformed", on: db)
            #expect(malformed.state == "failed" && malformed.attempts == 1)
            #expect(malformed.error?.contains("arguments are malformed") == true)
            let gap = try await db.query("""
                SELECT extract(epoch FROM max(started_at) - min(ended_at))::float8 AS gap FROM noop_runs
                """)[0].decode("gap", as: Double.self)
            #expect(gap >= 1.2, "the retry came \(gap) s after the first attempt, before its Retry-After")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    /// A foreign service's answer (Autotask's, Huntress's) is stored and logged
    /// bounded and without control characters: no terminal escapes in a table,
    /// no megabyte in `last_error` (issue 18).
    @Test func aFailuresTextIsStoredAndLoggedBoundedAndWithoutControlCharacters() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            let answer = "\u{1B}[2J\u{1B}]0;owned\u{07}Autotask said:\r\nline two\u{7F}\u{9B}" + String(repeating: "x", count: 20_000)
            var arguments = NoopKind.Arguments(fail: "permanent")
            arguments.failText = answer
            _ = try await JobQueue.enqueue(
                try NewJob.of(NoopKind.self, tenantID: tenant, uniqueKey: "foreign", arguments: arguments), on: db)
            let worker = try WorkerProcess(configuration, arguments: ["--poll-seconds", "0.2"])
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state = 'failed'", toBe: 1, on: db, timeout: .seconds(30)), "\(worker.log)")
            let stored = try #require(try await state("foreign", on: db).error)
            #expect(stored.hasPrefix("[2J ]0;owned Autotask said: line two xxx"), "\(stored.prefix(80))")
            #expect(!stored.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(stored.prefix(80))")
            #expect(stored.count <= 2_100 && stored.contains(/… \(18,\d{3} more characters not kept\)$/), "\(stored.suffix(80))")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
            #expect(!worker.log.contains("\u{1B}") && !worker.log.contains(String(repeating: "x", count: 3_000)))
        }
    }

    @Test func cancelStopsAQueuedJobAtOnceAndARunningOneAtItsNextCheckpoint() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            let queued = try await JobQueue.enqueue(
                NewJob(tenantID: tenant, kind: "noop", uniqueKey: "waiting", runAt: Date() + 3600), on: db)
            guard case .enqueued(let queuedID) = queued else { throw Failure("not enqueued: \(queued)") }
            #expect(try await JobQueue.cancel(tenantID: tenant, jobID: queuedID, on: db) == .cancelled)
            #expect(try await state("waiting", on: db).state == "cancelled")
            #expect(try await JobQueue.cancel(tenantID: tenant, jobID: queuedID, on: db) == .notCancellable(state: "cancelled"))
            // An operator can put it back, with fresh attempts.
            #expect(try await JobQueue.retry(tenantID: tenant, jobID: queuedID, on: db))
            #expect(try await state("waiting", on: db).state == "queued")
            #expect(try await JobQueue.retry(tenantID: tenant, jobID: queuedID, on: db) == false)

            let long = try await JobQueue.enqueue(
                try NewJob.of(NoopKind.self, tenantID: tenant, uniqueKey: "long",
                              arguments: .init(sleepMilliseconds: 60_000, record: true)), on: db)
            guard case .enqueued(let longID) = long else { throw Failure("not enqueued: \(long)") }
            let worker = try WorkerProcess(configuration, arguments: ["--lease-seconds", "30"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM noop_runs", toBe: 1, on: db))
            #expect(try await JobQueue.cancel(tenantID: tenant, jobID: longID, on: db) == .requested)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE unique_key = 'long' AND state = 'cancelled'", toBe: 1, on: db,
                // NOTIFY tally_cancel reaches it at once: a worker claims only once it listens.
                // Under 5 s, so not the lease renewal (every 10 s here), which also carries it.
                timeout: .seconds(5)), "\(worker.log)")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    /// A batch's jobs run in one task; an operator's cancel ends that task,
    /// and the jobs after the cancelled one run on in a new one. Each of them
    /// waits a little, checking for cancellation, so that one run in the
    /// cancelled task would end cancelled too.
    @Test func aCancelEndsOnlyTheRunningJobOfABatch() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            var ids: [String: Int64] = [:]
            for (key, sleep) in [("first", 60_000), ("second", 50), ("third", 50)] {
                let enqueued = try await JobQueue.enqueue(
                    try NewJob.of(NoopKind.self, tenantID: tenant, uniqueKey: key,
                                  arguments: .init(sleepMilliseconds: sleep, record: true)), on: db)
                guard case .enqueued(let id) = enqueued else { throw Failure("not enqueued: \(enqueued)") }
                ids[key] = id
            }
            let worker = try WorkerProcess(configuration, arguments: ["--lease-seconds", "30"])
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM noop_runs", toBe: 1, on: db))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'running'", on: db) == 3,
                    "one batch of three")
            #expect(try await JobQueue.cancel(tenantID: tenant, jobID: ids["first"]!, on: db) == .requested)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('cancelled', 'succeeded')", toBe: 3, on: db,
                timeout: .seconds(10)), "\(worker.log)")
            #expect(try await state("first", on: db).state == "cancelled")
            for key in ["second", "third"] {
                let job = try await state(key, on: db)
                #expect(job.state == "succeeded" && job.attempts == 1 && job.error == nil, "\(key): \(job)")
            }
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }

    @Test func enqueueingAnExistingUniqueKeyIsANoOpThatSaysSo() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenants = try await Fixtures.addTenants(caps: [3, 3], on: db)
            let job = NewJob(tenantID: tenants[0], kind: "noop", uniqueKey: "sync/run-1/org-7/edr")
            let first = try await JobQueue.enqueue(job, on: db)
            guard case .enqueued(let id) = first else { throw Failure("not enqueued: \(first)") }
            #expect(try await JobQueue.enqueue(job, on: db) == .alreadyExists(jobID: id, state: "queued"))
            // The same key in another tenant is another job.
            var elsewhere = job
            elsewhere.tenantID = tenants[1]
            let batch = (0..<500).map { NewJob(tenantID: tenants[0], kind: "noop", uniqueKey: "bulk-\($0 % 250)") } + [job, elsewhere]
            #expect(try await JobQueue.enqueue(batch, on: db) == 251)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs", on: db) == 252)
        }
    }

    @Test func aShortQueueIsSharedAmongTheTenantsFreeSlots() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            try await JobQueue.enqueue((0..<31).map { NewJob(tenantID: tenant, kind: "noop", uniqueKey: "job-\($0)") }, on: db)
            var sizes: [Int] = []
            for task in 0..<4 {
                let claim = try await JobQueue.claim(
                    worker: UUID(), task: task, batchSize: 50, lease: .seconds(30), kinds: ["noop"], on: db)
                sizes.append(claim.jobs.count)
            }
            // 31 over 3 free slots, then 20 over 2, then 10 over 1; the cap holds the rest back.
            #expect(sizes == [11, 10, 10, 0])
        }
    }

    /// A claim locks only the jobs it takes: a claim of another slot of the
    /// tenant, made while the first is still open, takes the next share.
    @Test func concurrentClaimsOfOneTenantTakeSharesSideBySide() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            try await JobQueue.enqueue((0..<30).map { NewJob(tenantID: tenant, kind: "noop", uniqueKey: "job-\($0)") }, on: db)
            let other = try await Connection.connect(configuration)
            try await db.execute("BEGIN")
            let first = try await JobQueue.claim(worker: UUID(), task: 0, batchSize: 50, lease: .seconds(30), kinds: ["noop"], on: db)
            // The second claim picks its jobs at once, then waits for the first's
            // commit on the tenant's queued-count row.
            let pending = Task {
                try await JobQueue.claim(worker: UUID(), task: 1, batchSize: 50, lease: .seconds(30), kinds: ["noop"], on: other)
            }
            try await Task.sleep(for: .milliseconds(300))
            try await db.execute("COMMIT")
            let second = try await pending.value
            #expect(first.jobs.count == 10)
            #expect(second.jobs.count == 10, "the open claim's locks kept the other claim from its share")
            #expect(Set(first.jobs.map(\.jobID)).isDisjoint(with: second.jobs.map(\.jobID)))
        }
    }

    @Test func anExpiredLeaseRequeuesTheJobAndCountsTheAttemptUntilItFails() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            // Cap 1: one task takes both jobs in one batch.
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            try await JobQueue.enqueue([
                NewJob(tenantID: tenant, kind: "noop", uniqueKey: "poison", maxAttempts: 2),
                NewJob(tenantID: tenant, kind: "noop", uniqueKey: "bystander", maxAttempts: 2),
            ], on: db)
            // A worker that claims jobs and dies without renewing its lease.
            func claimAndDie(expecting keys: [String]) async throws {
                let claim = try await JobQueue.claim(
                    worker: UUID(), task: 0, batchSize: 2, lease: .milliseconds(100), kinds: ["noop"], on: db)
                #expect(claim.jobs.map(\.uniqueKey) == keys)
                try await Task.sleep(for: .milliseconds(150))
                #expect(try await JobQueue.reclaimExpired(on: db) == keys.count)
            }
            // Lost in a batch of two: which one was running is not known, so
            // neither is charged, and each runs alone from now on.
            try await claimAndDie(expecting: ["poison", "bystander"])
            for key in ["poison", "bystander"] {
                let job = try await state(key, on: db)
                #expect(job.state == "queued" && job.attempts == 0, "\(key)")
            }
            // Lost alone: it was running, so the attempt counts, until it fails.
            for round in 1...2 {
                try await claimAndDie(expecting: ["poison"])
                let poison = try await state("poison", on: db)
                #expect(poison.attempts == round)
                #expect(poison.state == (round == 2 ? "failed" : "queued"))
                #expect(poison.error?.contains("its worker stopped while running it") == true)
                let bystander = try await state("bystander", on: db)
                #expect(bystander.state == "queued" && bystander.attempts == 0)
            }
            let worker = UUID()
            let last = try await JobQueue.claim(worker: worker, task: 0, batchSize: 2, lease: .seconds(30), kinds: ["noop"], on: db)
            #expect(last.jobs.map(\.uniqueKey) == ["bystander"])
            #expect(try await JobQueue.finish(last.jobs[0], .finished(.succeeded, message: nil), worker: worker, on: db))
            try await JobQueue.releaseSlot(tenantID: tenant, slot: last.jobs[0].slot, worker: worker, on: db)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queue_slots WHERE holder_worker IS NOT NULL", on: db) == 0)
        }
    }

    /// After a fail-over that lost some of a worker's commits, rows it had
    /// finished or released are under its name again: its renewal must not
    /// keep them, only what its tasks hold (FailoverTests found them kept).
    @Test func leaseRenewalExtendsOnlyTheWorkTheWorkerHolds() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenants = try await Fixtures.addTenants(caps: [1, 1], on: db)
            for tenant in tenants {
                try await JobQueue.enqueue((0..<2).map { NewJob(tenantID: tenant, kind: "noop", uniqueKey: "job-\($0)") }, on: db)
            }
            let worker = UUID()
            let lease = Duration.milliseconds(300)
            let first = try await JobQueue.claim(worker: worker, task: 0, batchSize: 2, lease: lease, kinds: ["noop"], on: db)
            let second = try await JobQueue.claim(worker: worker, task: 1, batchSize: 2, lease: lease, kinds: ["noop"], on: db)
            #expect(first.jobs.count == 2 && second.jobs.count == 2 && first.jobs[0].tenantID != second.jobs[0].tenantID)
            // The worker holds only the first batch (the second's ends and release were "lost").
            try await Task.sleep(for: .milliseconds(150))
            _ = try await JobQueue.renewLeases(worker: worker, holding: HeldWork(batches: [first.jobs]), lease: .seconds(30), on: db)
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await JobQueue.reclaimExpired(on: db) == 2)
            let kept = try await db.query("""
                SELECT tenant_id, count(*)::int AS n FROM jobs WHERE state = 'running' GROUP BY tenant_id
                """)
            #expect(kept.count == 1)
            #expect(try kept.first?.decode("tenant_id", as: Int64.self) == first.jobs[0].tenantID)
            #expect(try await Fixtures.count("""
                SELECT count(*)::int AS n FROM queue_slots WHERE holder_worker IS NOT NULL AND tenant_id = \(second.jobs[0].tenantID)
                """, on: db) == 0, "the slot not held went back")
        }
    }

    @Test func aBatchsEndsAreWrittenTogetherAndItsLastWriteFreesTheSlot() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            try await JobQueue.enqueue((0..<4).map { NewJob(tenantID: tenant, kind: "noop", uniqueKey: "job-\($0)") }, on: db)
            let worker = UUID()
            let claim = try await JobQueue.claim(worker: worker, task: 0, batchSize: 4, lease: .seconds(30), kinds: ["noop"], on: db)
            #expect(claim.jobs.count == 4)
            // Every job of the batch is started by the claim.
            #expect(claim.jobs.allSatisfy { $0.attempts == 1 })
            let began = Date(timeIntervalSince1970: 1_900_000_000)
            let ended = [
                EndedJob(claim.jobs[0], .finished(.succeeded, message: nil), report: #"{"note": "a \"quoted\" word"}"#, startedAt: began),
                EndedJob(claim.jobs[1], .retry(after: .seconds(60), error: "flaky")),
                EndedJob(claim.jobs[2], .deferred(until: Date() + 600, reason: "budget spent")),
                EndedJob(claim.jobs[3], .handedBack),
            ]
            // A job another worker holds now is not written.
            let other = EndedJob(claim.jobs[0], .finished(.failed, message: "not mine"))
            #expect(try await JobQueue.finish([other], worker: UUID(), on: db).isEmpty)
            let written = try await JobQueue.finish(ended, worker: worker, releasing: claim.jobs[0].slot, on: db)
            #expect(written == Set(claim.jobs.map(\.key)))
            let rows = try await db.query("""
                SELECT unique_key, state, attempts, report->>'note' AS note, started_at, deferred_reason, last_error
                FROM jobs ORDER BY unique_key
                """)
            let states = try rows.map { try $0.decode("state", as: String.self) }
            #expect(states == ["succeeded", "queued", "queued", "queued"])
            // A retry keeps its attempt; a deferral and a hand-back give it back.
            #expect(try rows.map { try $0.decode("attempts", as: Int.self) } == [1, 1, 0, 0])
            #expect(try rows[0].decode("note", as: String?.self) == #"a "quoted" word"#)
            #expect(try rows[0].decode("started_at", as: Date?.self) == began)
            #expect(try rows[1].decode("last_error", as: String?.self) == "flaky")
            #expect(try rows[2].decode("deferred_reason", as: String?.self) == "budget spent")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM queue_slots WHERE holder_worker IS NOT NULL", on: db) == 0)
            #expect(try await Fixtures.queuedCountMismatches(on: db) == [])
        }
    }

    /// Claims find the tenant whose turn it is through `queue_tenants.turn_at`
    /// (sql/017); every way a slot changes keeps it equal to its definition.
    @Test func tenantTurnsFollowClaimsReleasesReclaimsAndCaps() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenants = try await Fixtures.addTenants(caps: [2, 1], on: db)
            try await JobQueue.enqueue((0..<6).map { NewJob(tenantID: tenants[$0 % 2], kind: "noop", uniqueKey: "job-\($0)") }, on: db)
            func wrongTurns() async throws -> Int {
                try await Fixtures.count("""
                    SELECT count(*)::int AS n FROM queue_tenants WHERE turn_at IS DISTINCT FROM tally_tenant_turn(tenant_id)
                    """, on: db)
            }
            func turn(_ tenant: Int64) async throws -> Date? {
                try await db.query("SELECT turn_at FROM queue_tenants WHERE tenant_id = \(tenant)")[0].decode("turn_at")
            }
            #expect(try await wrongTurns() == 0)
            let worker = UUID()
            // Turns start at -infinity; ties go by tenant id, so tenant 0 fills both its slots first.
            let first = try await JobQueue.claim(worker: worker, task: 0, batchSize: 1, lease: .seconds(30), kinds: ["noop"], on: db)
            #expect(first.jobs.first?.tenantID == tenants[0])
            let second = try await JobQueue.claim(worker: worker, task: 1, batchSize: 1, lease: .seconds(30), kinds: ["noop"], on: db)
            #expect(second.jobs.first?.tenantID == tenants[0])
            #expect(try await turn(tenants[0]) == nil, "both its slots are held")
            #expect(try await wrongTurns() == 0)
            let third = try await JobQueue.claim(worker: worker, task: 2, batchSize: 1, lease: .milliseconds(100), kinds: ["noop"], on: db)
            #expect(third.jobs.first?.tenantID == tenants[1])
            #expect(try await turn(tenants[1]) == nil)
            // A release and a reclaim give turns back.
            try await JobQueue.finish([EndedJob(second.jobs[0], .finished(.succeeded, message: nil))], worker: worker,
                                      releasing: second.jobs[0].slot, on: db)
            #expect(try await turn(tenants[0]) != nil)
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await JobQueue.reclaimExpired(on: db) == 1)
            #expect(try await turn(tenants[1]) != nil)
            #expect(try await wrongTurns() == 0)
            // Caps: a new slot is free at once; a lowered cap leaves no free slot within it.
            try await db.execute("UPDATE tenants SET concurrency_cap = 3 WHERE tenant_id = \(tenants[1])")
            #expect(try await wrongTurns() == 0)
            try await db.execute("UPDATE tenants SET concurrency_cap = 1 WHERE tenant_id = \(tenants[0])")
            #expect(try await wrongTurns() == 0)
        }
    }

    @Test func pruningDeletesOldFinishedJobsInBatchesAndKeepsResults() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            try await db.executeScript("""
                INSERT INTO organizations (tenant_id, organization_id, name) VALUES (\(tenant), 1, 'Org');
                INSERT INTO jobs (tenant_id, kind, unique_key, state, finished_at)
                SELECT \(tenant), 'noop', 'old-' || g, 'succeeded', now() - interval '10 days' FROM generate_series(1, 2500) g;
                INSERT INTO jobs (tenant_id, kind, unique_key, state, finished_at)
                VALUES (\(tenant), 'noop', 'recent', 'succeeded', now() - interval '1 hour');
                INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (\(tenant), 'noop', 'queued');
                INSERT INTO results (tenant_id, job_id, organization_id, product, outcome, units_after)
                SELECT tenant_id, job_id, 1, 'edr', 'succeeded', 5 FROM jobs WHERE unique_key = 'old-1';
                """, name: "fixture")
            var rounds: [Int] = []
            while true {
                let deleted = try await JobQueue.pruneFinished(olderThan: .seconds(7 * 24 * 3600), batchSize: 1000, on: db)
                rounds.append(deleted)
                if deleted < 1000 { break }
            }
            #expect(rounds == [1000, 1000, 500])
            let left = try await db.query("SELECT unique_key FROM jobs ORDER BY unique_key").map { try $0.decode("unique_key", as: String.self) }
            #expect(left == ["queued", "recent"])
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results", on: db) == 1)
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
