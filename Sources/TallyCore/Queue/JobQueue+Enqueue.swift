public import Postgres

/// The PostgreSQL job queue: every statement that reads or changes jobs.
/// Methods take a connection so that callers can enqueue inside their own
/// transaction (a run and its jobs are created together).
public enum JobQueue {
    /// Adds one job, or says that its unique key is taken.
    public static func enqueue(_ job: NewJob, on connection: Connection) async throws -> EnqueueOutcome {
        let inserted = try await connection.query("""
            INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, run_at, max_attempts, run_id)
            VALUES (\(job.tenantID), \(job.kind), \(job.uniqueKey), \(job.arguments)::jsonb, \(job.priority),
                    coalesce(\(job.runAt)::timestamptz, now()), \(job.maxAttempts), \(job.runID))
            ON CONFLICT (tenant_id, unique_key) DO NOTHING
            RETURNING job_id
            """, name: "enqueue job")
        if let row = inserted.first { return .enqueued(jobID: try row.decode("job_id")) }
        let existing = try await connection.query("""
            SELECT job_id, state FROM jobs WHERE tenant_id = \(job.tenantID) AND unique_key = \(job.uniqueKey)
            """, name: "find existing job")
        guard let row = existing.first else {
            // Pruned between the two statements: the key is free again.
            return try await enqueue(job, on: connection)
        }
        return .alreadyExists(jobID: try row.decode("job_id"), state: try row.decode("state"))
    }

    /// Adds many jobs in one statement; jobs whose unique key is taken are skipped.
    /// Answers how many were added.
    @discardableResult
    public static func enqueue(_ jobs: [NewJob], on connection: Connection) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await connection.execute("""
            INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, run_at, max_attempts, run_id)
            SELECT tenant_id, kind, unique_key, args, priority, coalesce(run_at, now()), max_attempts, run_id
            FROM unnest(\(jobs.map(\.tenantID))::bigint[], \(jobs.map(\.kind))::text[], \(jobs.map(\.uniqueKey))::text[],
                        \(jobs.map(\.arguments))::jsonb[], \(jobs.map(\.priority))::smallint[],
                        \(jobs.map(\.runAt))::timestamptz[], \(jobs.map(\.maxAttempts))::int[], \(jobs.map(\.runID))::bigint[])
                 AS new (tenant_id, kind, unique_key, args, priority, run_at, max_attempts, run_id)
            ORDER BY tenant_id
            ON CONFLICT (tenant_id, unique_key) DO NOTHING
            """, name: "enqueue jobs")
    }
}
