public import Foundation
public import Postgres

/// A job of a batch as its worker ended it, to be written with the others.
public struct EndedJob: Sendable {
    public var job: ClaimedJob
    public var end: JobEnd
    /// The handler's account of the job (JSON object text), stored with its end.
    public var report: String?
    /// When the worker began the job; nil keeps the claim's time.
    public var startedAt: Date?

    public init(_ job: ClaimedJob, _ end: JobEnd, report: String? = nil, startedAt: Date? = nil) {
        self.job = job
        self.end = end
        self.report = report
        self.startedAt = startedAt
    }
}

extension JobQueue {
    /// Writes the ends of running jobs of one tenant leased to `worker`, in one
    /// statement, and with `releasing` also frees that slot of the tenant
    /// (the batch is over). Answers the jobs written: a job missing from the
    /// answer was no longer leased to the worker (its lease ran out and it was
    /// reclaimed), and nothing was written for it.
    @discardableResult
    public static func finish(
        _ ended: [EndedJob], worker: UUID, releasing slot: Int? = nil, on connection: Connection
    ) async throws -> Set<JobKey> {
        guard let tenantID = ended.first?.job.tenantID else { return [] }
        precondition(ended.allSatisfy { $0.job.tenantID == tenantID }, "one finish writes one tenant's jobs")
        let rows = try await connection.query(
            finishStatement(ended, tenantID: tenantID, worker: worker, releasing: slot), name: "finish jobs", prepared: true)
        return Set(try rows.map { JobKey(tenantID: tenantID, jobID: try $0.decode("job_id")) })
    }

    /// Ends one job; answers false when the job was no longer leased to the worker.
    @discardableResult
    public static func finish(
        _ job: ClaimedJob, _ end: JobEnd, report: String? = nil, worker: UUID, on connection: Connection
    ) async throws -> Bool {
        try await finish([EndedJob(job, end, report: report)], worker: worker, on: connection).contains(job.key)
    }

    /// Frees a slot with no job to end (e.g. every job of the batch was lost).
    public static func releaseSlot(tenantID: Int64, slot: Int, worker: UUID, on connection: Connection) async throws {
        try await connection.execute("""
            UPDATE queue_slots SET holder_worker = NULL, holder_task = NULL, lease_expires_at = NULL
            WHERE tenant_id = \(tenantID) AND slot = \(slot) AND holder_worker = \(worker)
            """, name: "release slot")
    }

    /// The statement behind `finish` (the benchmark runs it through pgbench as a baseline).
    public static func finishStatement(_ ended: [EndedJob], tenantID: Int64, worker: UUID, releasing slot: Int?) -> SQL {
        let fields = ended.map { EndFields($0.end) }
        return """
            WITH ended AS (
                SELECT * FROM unnest(
                    \(ended.map(\.job.jobID))::bigint[], \(fields.map(\.state))::text[], \(fields.map(\.runAt))::timestamptz[],
                    \(fields.map(\.delaySeconds))::float8[], \(fields.map(\.refund))::boolean[], \(fields.map(\.error))::text[],
                    \(fields.map(\.message))::text[], \(fields.map(\.deferredReason))::text[], \(ended.map(\.report))::jsonb[],
                    \(ended.map(\.startedAt))::timestamptz[])
                    AS e(job_id, state, run_at, delay_seconds, refund, error, message, deferred_reason, report, started_at)
            ),
            done AS (
                UPDATE jobs j SET
                    state = e.state,
                    finished_at = CASE WHEN e.state = 'queued' THEN NULL ELSE now() END,
                    run_at = coalesce(e.run_at, now() + make_interval(secs => e.delay_seconds), j.run_at),
                    attempts = greatest(0, j.attempts - CASE WHEN e.refund THEN 1 ELSE 0 END),
                    last_error = coalesce(e.error, j.last_error),
                    outcome_message = e.message,
                    deferred_reason = e.deferred_reason,
                    report = e.report,
                    worker_id = CASE WHEN e.state = 'queued' THEN NULL ELSE j.worker_id END,
                    started_at = CASE WHEN e.state = 'queued' THEN NULL ELSE coalesce(e.started_at, j.started_at) END,
                    lease_expires_at = NULL,
                    slot = NULL,
                    run_alone = false
                FROM ended e
                -- "worker_id = W AND finished_at IS NULL" is "running under W"
                -- (queued jobs have no worker), written so that no partial index
                -- on state looks cheaper than the primary key to a generic plan.
                WHERE j.tenant_id = \(tenantID) AND j.job_id = e.job_id AND j.worker_id = \(worker) AND j.finished_at IS NULL
                RETURNING j.job_id
            ),
            released AS (
                UPDATE queue_slots SET holder_worker = NULL, holder_task = NULL, lease_expires_at = NULL
                WHERE \(slot != nil) AND tenant_id = \(tenantID) AND slot = \(slot ?? 0) AND holder_worker = \(worker)
            )
            SELECT job_id FROM done
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
