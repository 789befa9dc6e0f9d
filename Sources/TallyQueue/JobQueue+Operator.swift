public import Foundation
public import Postgres

extension JobQueue {
    public enum CancelOutcome: Sendable, Equatable {
        /// It was queued: it is cancelled now.
        case cancelled
        /// It is running: it stops at its next checkpoint.
        case requested
        /// It had already ended (or does not exist).
        case notCancellable(state: String?)
    }

    /// A job as stored, locked for the caller's transaction when `locking`
    /// (an approval decides from it and then requeues it).
    public static func job(tenantID: Int64, jobID: Int64, locking: Bool = false, on connection: Connection) async throws -> StoredJob? {
        let lock: SQL = locking ? "FOR UPDATE" : ""
        let rows = try await connection.query("""
            SELECT tenant_id, job_id, kind, state, args::text AS args, report::text AS report,
                   coalesce(outcome_message, last_error) AS message
            FROM jobs WHERE tenant_id = \(tenantID) AND job_id = \(jobID) \(fragment: lock)
            """, name: "read job")
        guard let row = rows.first else { return nil }
        return StoredJob(
            tenantID: try row.decode("tenant_id"), jobID: try row.decode("job_id"), kind: try row.decode("kind"),
            state: try row.decode("state"), arguments: try row.decode("args"), report: try row.decode("report"),
            message: try row.decode("message"))
    }

    /// Cancels a job: at once when queued, at its next checkpoint when running.
    public static func cancel(tenantID: Int64, jobID: Int64, on connection: Connection) async throws -> CancelOutcome {
        let rows = try await connection.query("""
            WITH target AS (
                SELECT state, worker_id FROM jobs WHERE tenant_id = \(tenantID) AND job_id = \(jobID) FOR UPDATE
            ),
            now_cancelled AS (
                UPDATE jobs SET state = 'cancelled', finished_at = now(), outcome_message = 'cancelled by an operator'
                WHERE tenant_id = \(tenantID) AND job_id = \(jobID) AND state = 'queued'
                RETURNING job_id
            ),
            requested AS (
                UPDATE jobs SET cancel_requested = true
                WHERE tenant_id = \(tenantID) AND job_id = \(jobID) AND state = 'running'
                RETURNING worker_id
            ),
            woken AS (
                SELECT pg_notify('tally_cancel', worker_id::text) FROM requested
            )
            SELECT (SELECT state FROM target) AS state,
                   (SELECT count(*) FROM now_cancelled)::int AS cancelled,
                   (SELECT count(*) FROM woken)::int AS requested
            """, name: "cancel job")
        let row = rows[0]
        if try row.decode("cancelled", as: Int.self) == 1 { return .cancelled }
        if try row.decode("requested", as: Int.self) == 1 { return .requested }
        return .notCancellable(state: try row.decode("state"))
    }

    /// Puts a job that ended in one of `states` (default: failed, cancelled
    /// or held) back in the queue with fresh attempts, with new `arguments`
    /// (JSON object text; nil keeps them). Answers false when the job is not
    /// in one of those states.
    public static func retry(
        tenantID: Int64, jobID: Int64, from states: [String] = ["failed", "cancelled", "held"], arguments: String? = nil,
        on connection: Connection
    ) async throws -> Bool {
        try await connection.execute("""
            UPDATE jobs SET state = 'queued', run_at = now(), attempts = 0, finished_at = NULL, started_at = NULL,
                worker_id = NULL, cancel_requested = false, outcome_message = NULL, deferred_reason = NULL,
                args = coalesce(\(arguments)::jsonb, args)
            WHERE tenant_id = \(tenantID) AND job_id = \(jobID) AND state = ANY (\(states)::text[])
            """, name: "retry job") == 1
    }
}

extension JobQueue {
    /// A job as `tally jobs list` shows it.
    public struct ListedJob: Sendable {
        public var job: StoredJob
        public var runID: Int64?
        public var attempts: Int
        /// The outcome message, the last error or the reason it was deferred.
        public var why: String?
        /// When it ended, started or is due, whichever is latest in its life.
        public var updatedAt: Date
    }

    /// A tenant's latest jobs, newest first, optionally in one state.
    public static func list(tenantID: Int64, state: String?, limit: Int, on connection: Connection) async throws -> [ListedJob] {
        try await connection.query("""
            SELECT tenant_id, job_id, kind, run_id, state, attempts, args::text AS args, report::text AS report,
                   coalesce(outcome_message, last_error) AS message,
                   coalesce(outcome_message, last_error, deferred_reason) AS why,
                   coalesce(finished_at, started_at, run_at) AS updated_at
            FROM jobs WHERE tenant_id = \(tenantID) AND (\(state)::text IS NULL OR state = \(state))
            ORDER BY job_id DESC LIMIT \(max(1, limit))
            """, name: "list jobs").map {
            ListedJob(
                job: StoredJob(
                    tenantID: try $0.decode("tenant_id"), jobID: try $0.decode("job_id"), kind: try $0.decode("kind"),
                    state: try $0.decode("state"), arguments: try $0.decode("args"), report: try $0.decode("report"),
                    message: try $0.decode("message")),
                runID: try $0.decode("run_id"), attempts: try $0.decode("attempts"), why: try $0.decode("why"),
                updatedAt: try $0.decode("updated_at"))
        }
    }
}
