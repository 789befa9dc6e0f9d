public import Foundation
public import Postgres

/// A registered worker process.
public struct WorkerRegistration: Sendable {
    public var workerID: UUID
    public var host: String
    public var pid: Int
    public var concurrency: Int
    public var kinds: [String]
    public var version: String
}

extension JobQueue {
    public static func register(_ worker: WorkerRegistration, on connection: Connection) async throws {
        try await connection.execute("""
            INSERT INTO workers (worker_id, host, pid, concurrency, kinds, version)
            VALUES (\(worker.workerID), \(worker.host), \(worker.pid), \(worker.concurrency), \(worker.kinds)::text[], \(worker.version))
            ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), stopping = false
            """, name: "register worker")
    }

    public static func deregister(worker: UUID, on connection: Connection) async throws {
        try await connection.execute("DELETE FROM workers WHERE worker_id = \(worker)", name: "deregister worker")
    }

    public static func markStopping(worker: UUID, on connection: Connection) async throws {
        try await connection.execute("UPDATE workers SET stopping = true WHERE worker_id = \(worker)", name: "mark worker stopping")
    }

    /// Extends the leases of the jobs and slots `worker` holds — those its
    /// tasks are working, named here, not every row under its name: after a
    /// fail-over to a standby that missed some of its commits, rows the
    /// worker had already finished or released are its again on the new
    /// primary, and they must expire and go back to the queue. Records the
    /// heartbeat. Answers the held jobs that an operator asked to cancel, and
    /// whether the worker's registration still exists.
    public static func renewLeases(
        worker: UUID, holding held: HeldWork, lease: Duration, on connection: Connection
    ) async throws -> (cancelRequested: Set<JobKey>, registered: Bool) {
        let rows = try await connection.query("""
            -- SKIP LOCKED: a row busy now (a finish of this worker's own
            -- task, a claim that glanced at it) is renewed next time, never
            -- waited for, so renewal cannot deadlock with finishing.
            WITH my_slots AS (
                SELECT tenant_id, slot FROM queue_slots
                WHERE (tenant_id, slot) IN (SELECT * FROM unnest(\(held.slots.map(\.tenantID))::bigint[], \(held.slots.map(\.slot))::int[]))
                  AND holder_worker = \(worker)
                FOR UPDATE SKIP LOCKED
            ),
            slots AS (
                UPDATE queue_slots s SET lease_expires_at = now() + make_interval(secs => \(lease.seconds))
                FROM my_slots m WHERE s.tenant_id = m.tenant_id AND s.slot = m.slot
            ),
            my_jobs AS (
                SELECT tenant_id, job_id FROM jobs
                WHERE (tenant_id, job_id) IN (SELECT * FROM unnest(\(held.jobs.map(\.tenantID))::bigint[], \(held.jobs.map(\.jobID))::bigint[]))
                  AND worker_id = \(worker) AND state = 'running'
                FOR UPDATE SKIP LOCKED
            ),
            leased AS (
                UPDATE jobs j SET lease_expires_at = now() + make_interval(secs => \(lease.seconds))
                FROM my_jobs m WHERE j.tenant_id = m.tenant_id AND j.job_id = m.job_id
                RETURNING j.tenant_id, j.job_id, j.cancel_requested
            ),
            beat AS (
                UPDATE workers SET heartbeat_at = now() WHERE worker_id = \(worker) RETURNING worker_id
            )
            SELECT (SELECT count(*) FROM beat)::int AS registered, leased.tenant_id, leased.job_id
            FROM (SELECT 1) AS one LEFT JOIN leased ON leased.cancel_requested
            """, name: "renew leases")
        var cancelled = Set<JobKey>()
        for row in rows {
            if let tenantID: Int64 = try row.decode("tenant_id"), let jobID: Int64 = try row.decode("job_id") {
                cancelled.insert(JobKey(tenantID: tenantID, jobID: jobID))
            }
        }
        return (cancelled, try rows.first?.decode("registered", as: Int.self) == 1)
    }

    /// Returns the work of workers whose leases ran out (killed, host lost)
    /// to the queue. Which job of a batch was running is not known (a claim
    /// marks them all started, sql/015): a job lost alone has used its
    /// attempt, so one that keeps killing its worker fails after its
    /// attempts; the jobs of a lost batch of several get their attempts back
    /// and run alone next. Answers how many jobs went back or failed.
    @discardableResult
    public static func reclaimExpired(on connection: Connection) async throws -> Int {
        try await connection.query("""
            WITH slots AS (
                UPDATE queue_slots SET holder_worker = NULL, holder_task = NULL, lease_expires_at = NULL
                WHERE holder_worker IS NOT NULL AND lease_expires_at < now()
            ),
            expired AS (
                SELECT tenant_id, job_id, worker_id, slot FROM jobs
                WHERE state = 'running' AND lease_expires_at < now()
                FOR UPDATE SKIP LOCKED
            ),
            lost AS (
                SELECT tenant_id, job_id,
                       count(*) OVER (PARTITION BY tenant_id, worker_id, slot) = 1 AS alone
                FROM expired
            ),
            reclaimed AS (
                UPDATE jobs j SET
                    state = CASE WHEN l.alone AND j.attempts >= j.max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN l.alone AND j.attempts >= j.max_attempts THEN now() END,
                    attempts = j.attempts - CASE WHEN l.alone THEN 0 ELSE 1 END,
                    last_error = CASE WHEN l.alone
                        THEN 'its worker stopped while running it (lease expired after attempt ' || j.attempts || ' of ' || j.max_attempts || ')'
                        ELSE j.last_error END,
                    run_alone = true,
                    worker_id = CASE WHEN l.alone AND j.attempts >= j.max_attempts THEN j.worker_id END,
                    started_at = CASE WHEN l.alone AND j.attempts >= j.max_attempts THEN j.started_at END,
                    lease_expires_at = NULL, slot = NULL
                FROM lost l
                WHERE j.tenant_id = l.tenant_id AND j.job_id = l.job_id
                RETURNING j.job_id
            )
            SELECT count(*)::int AS reclaimed FROM reclaimed
            """, name: "reclaim expired leases")[0].decode("reclaimed")
    }

    /// Deletes up to `batchSize` finished jobs older than `retention`; call
    /// again while it answers `batchSize`. Results are kept.
    public static func pruneFinished(olderThan retention: Duration, batchSize: Int = 1000, on connection: Connection) async throws -> Int {
        try await connection.execute("""
            DELETE FROM jobs j USING (
                SELECT tenant_id, job_id FROM jobs
                WHERE finished_at < now() - make_interval(secs => \(retention.seconds))
                LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
            ) old
            WHERE j.tenant_id = old.tenant_id AND j.job_id = old.job_id
            """, name: "prune finished jobs")
    }

    /// Folds the claims' rows of the queued-job counts into their runs' rows
    /// (sql/024), then deletes the counts (sql/008) of runs with nothing queued left.
    public static func pruneEmptiedCounts(on connection: Connection) async throws {
        try await connection.execute("SELECT tally_fold_claimed_counts()", name: "fold claimed counts")
        try await connection.execute("DELETE FROM queued_job_counts WHERE queued = 0 AND deferred = 0", name: "prune emptied counts")
    }

    /// Forgets workers that stopped heartbeating long ago (their jobs were reclaimed by lease).
    public static func forgetDeadWorkers(silentFor age: Duration, on connection: Connection) async throws {
        try await connection.execute("""
            DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => \(age.seconds))
            """, name: "forget dead workers")
    }
}

/// Identifies a job across tenants.
public struct JobKey: Hashable, Sendable {
    public let tenantID: Int64
    public let jobID: Int64
    public init(tenantID: Int64, jobID: Int64) {
        self.tenantID = tenantID
        self.jobID = jobID
    }
}

extension ClaimedJob {
    public var key: JobKey { JobKey(tenantID: tenantID, jobID: jobID) }
}
