import Foundation
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

    /// A kind's arguments as stored: a JSON object with sorted keys.
    public static func encode(_ arguments: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(arguments), as: UTF8.self)
    }

    /// Arguments as stored, read as `Kind`'s.
    static func decode<Kind: JobKind>(_ kind: Kind.Type, arguments: String) throws -> Kind.Arguments {
        try JSONDecoder().decode(Kind.Arguments.self, from: Data(arguments.utf8))
    }

    /// Jobs of `Kind` from the rows of a query, for producers that make many
    /// at once inside a statement of their own (a run and its jobs): use it as
    /// a data-modifying CTE. `rows` has the columns `tenant_id`, `run_id`,
    /// `unique_key`, `priority`, and one per argument of `arguments`, named
    /// as its coding key; arguments left out are absent from the job's JSON.
    /// `runAt`: `rows` also has a `run_at` column, when the job is due (NULL: now).
    /// A taken unique key is skipped. Returns `tenant_id, job_id, run_id`.
    public static func insert<Kind: JobKind>(
        _ kind: Kind.Type, arguments: [Kind.Arguments.Column], from rows: SQL, runAt: Bool = false
    ) -> SQL where Kind.Arguments: RowArguments {
        precondition(arguments.allSatisfy { $0.stringValue.allSatisfy { $0 == "_" || $0.isLowercase || $0.isNumber } },
                     "argument keys of \(Kind.name) must be plain lower-case column names")
        let pairs = arguments.map { "'\($0.stringValue)', new.\($0.stringValue)" }.joined(separator: ", ")
        let runAtColumns = runAt ? (", run_at", ", coalesce(new.run_at, now())") : ("", "")
        return """
            INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, run_id\(unescaped: runAtColumns.0))
            SELECT new.tenant_id, \(Kind.name), new.unique_key, jsonb_build_object(\(unescaped: pairs)), new.priority, new.run_id
                   \(unescaped: runAtColumns.1)
            FROM (\(fragment: rows)) AS new
            ON CONFLICT (tenant_id, unique_key) DO NOTHING
            RETURNING tenant_id, job_id, run_id
            """
    }
}
