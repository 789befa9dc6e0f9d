public import Foundation
public import Postgres

extension JobQueue {
    /// Ends a running job leased to `worker` and, in the same statement, marks
    /// `next` (the following job of the batch) as started. `report` (JSON
    /// object text) is the handler's account of the job, stored with its end.
    /// Answers false when the job was no longer leased to the worker (its lease ran
    /// out and it was reclaimed): then nothing is written.
    @discardableResult
    public static func finish(
        _ job: ClaimedJob, _ end: JobEnd, report: String? = nil, worker: UUID, startingNext next: ClaimedJob? = nil,
        on connection: Connection
    ) async throws -> Bool {
        let statement = finishStatement(job, end, report: report, worker: worker, startingNext: next)
        return try await connection.query(statement, name: "finish job", prepared: true)[0].decode("done", as: Int.self) == 1
    }

    /// The statement behind `finish` (the benchmark runs it through pgbench as a baseline).
    public static func finishStatement(
        _ job: ClaimedJob, _ end: JobEnd, report: String? = nil, worker: UUID, startingNext next: ClaimedJob?
    ) -> SQL {
        let fields = EndFields(end)
        return """
            WITH done AS (
                UPDATE jobs SET
                    state = \(fields.state),
                    finished_at = CASE WHEN \(fields.state) = 'queued' THEN NULL ELSE now() END,
                    run_at = coalesce(\(fields.runAt)::timestamptz, now() + make_interval(secs => \(fields.delaySeconds)), run_at),
                    attempts = greatest(0, attempts - CASE WHEN \(fields.refund) AND started_at IS NOT NULL THEN 1 ELSE 0 END),
                    last_error = coalesce(\(fields.error), last_error),
                    outcome_message = \(fields.message),
                    deferred_reason = \(fields.deferredReason),
                    report = \(report)::jsonb,
                    worker_id = CASE WHEN \(fields.state) = 'queued' THEN NULL ELSE worker_id END,
                    started_at = CASE WHEN \(fields.state) = 'queued' THEN NULL ELSE started_at END,
                    lease_expires_at = NULL,
                    slot = NULL
                -- "worker_id = W AND finished_at IS NULL" is "running under W"
                -- (queued jobs have no worker), written so that no partial index
                -- on state looks cheaper than the primary key to a generic plan.
                WHERE tenant_id = \(job.tenantID) AND job_id = \(job.jobID) AND worker_id = \(worker) AND finished_at IS NULL
                RETURNING job_id
            ),
            started AS (
                UPDATE jobs SET started_at = now(), attempts = attempts + 1
                WHERE tenant_id = \(next?.tenantID) AND job_id = \(next?.jobID) AND worker_id = \(worker)
                  AND finished_at IS NULL AND started_at IS NULL AND EXISTS (SELECT 1 FROM done)
            )
            SELECT count(*)::int AS done FROM done
            """
    }

    /// A condition, true while `worker` still holds `job` under an unexpired
    /// lease, for a kind that must not act on a job it lost (a write to
    /// Autotask) to check in a statement of its own.
    public static func leaseCondition(_ job: ClaimedJob, worker: UUID) -> SQL {
        """
        EXISTS (SELECT 1 FROM jobs
                WHERE tenant_id = \(job.tenantID) AND job_id = \(job.jobID) AND worker_id = \(worker)
                  AND state = 'running' AND lease_expires_at > now())
        """
    }

    /// Marks `job` started (it uses an attempt) when it was not marked by the claim or by its predecessor's finish.
    /// Answers false when the worker no longer holds the job.
    public static func markStarted(_ job: ClaimedJob, worker: UUID, on connection: Connection) async throws -> Bool {
        try await connection.execute("""
            UPDATE jobs SET started_at = now(), attempts = attempts + 1
            WHERE tenant_id = \(job.tenantID) AND job_id = \(job.jobID) AND worker_id = \(worker)
              AND state = 'running' AND started_at IS NULL
            """, name: "mark job started") == 1
    }

    /// Returns jobs of a batch that will not run here to `queued`, giving back
    /// the attempt of any that had started.
    public static func handBack(_ jobs: [ClaimedJob], worker: UUID, on connection: Connection) async throws {
        guard let tenantID = jobs.first?.tenantID else { return }
        try await connection.execute("""
            UPDATE jobs SET state = 'queued', run_at = now(), worker_id = NULL, lease_expires_at = NULL, slot = NULL,
                attempts = greatest(0, attempts - CASE WHEN started_at IS NOT NULL THEN 1 ELSE 0 END), started_at = NULL
            WHERE tenant_id = \(tenantID) AND job_id = ANY (\(jobs.map(\.jobID))::bigint[])
              AND worker_id = \(worker) AND state = 'running'
            """, name: "hand back jobs")
    }

    /// Frees the slot a task took. No notification: the task that frees a
    /// slot claims again at once, and a tenant whose jobs go back to the
    /// queue (hand-back at shutdown) is announced by the requeue trigger.
    public static func releaseSlot(tenantID: Int64, slot: Int, worker: UUID, on connection: Connection) async throws {
        try await connection.execute(releaseStatement(tenantID: tenantID, slot: slot, worker: worker), name: "release slot", prepared: true)
    }

    public static func releaseStatement(tenantID: Int64, slot: Int, worker: UUID) -> SQL {
        """
        UPDATE queue_slots SET holder_worker = NULL, holder_task = NULL, lease_expires_at = NULL
        WHERE tenant_id = \(tenantID) AND slot = \(slot) AND holder_worker = \(worker)
        """
    }
}

/// The column values that express a `JobEnd`.
private struct EndFields {
    var state: String
    var runAt: Date?
    var delaySeconds: Double?
    var refund: Bool
    var error: String?
    var message: String?
    var deferredReason: String?

    init(_ end: JobEnd) {
        switch end {
        case .finished(let final, let message):
            self.init(state: final.rawValue, runAt: nil, delaySeconds: nil, refund: false,
                      error: final == .failed ? message : nil, message: final == .failed ? nil : message, deferredReason: nil)
        case .retry(let delay, let error):
            self.init(state: "queued", runAt: nil, delaySeconds: delay.seconds, refund: false, error: error, message: nil,
                      deferredReason: nil)
        case .deferred(let until, let reason):
            self.init(state: "queued", runAt: until, delaySeconds: nil, refund: true, error: nil, message: nil,
                      deferredReason: reason)
        case .handedBack:
            self.init(state: "queued", runAt: nil, delaySeconds: nil, refund: true, error: nil, message: nil,
                      deferredReason: nil)
        }
    }

    private init(state: String, runAt: Date?, delaySeconds: Double?, refund: Bool, error: String?, message: String?, deferredReason: String?) {
        self.state = state
        self.runAt = runAt
        self.delaySeconds = delaySeconds
        self.refund = refund
        self.error = error
        self.message = message
        self.deferredReason = deferredReason
    }
}
