import Postgres

/// The statements that took PostgreSQL's time, from pg_stat_statements when
/// the server preloads it (`TALLY_PG_OPTIONS="-c
/// shared_preload_libraries=pg_stat_statements" scripts/with-postgres …`;
/// planning times need `-c pg_stat_statements.track_planning=on`);
/// otherwise every call does nothing.
struct StatementStatistics {
    let available: Bool

    static func prepare(on db: Connection) async -> StatementStatistics {
        do {
            try await db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", name: "statement statistics")
            _ = try await db.query("SELECT count(*) FROM pg_stat_statements")
            return StatementStatistics(available: true)
        } catch {
            return StatementStatistics(available: false)
        }
    }

    func reset(on db: Connection) async throws {
        guard available else { return }
        _ = try await db.query("SELECT pg_stat_statements_reset()")
    }

    /// Execution time (wall time in the server, lock waits included) of the top `limit` statements.
    func top(_ limit: Int = 8, on db: Connection) async throws -> String {
        guard available else { return "" }
        let rows = try await db.query("""
            SELECT round(total_exec_time)::bigint AS ms, calls, round((total_exec_time / nullif(calls, 0))::numeric, 3)::text AS per_call,
                   round((total_plan_time / nullif(calls, 0))::numeric, 3)::text AS plan_per_call,
                   left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
            FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT \(limit)
            """)
        return try rows.map {
            "  \(try $0.decode("ms", as: Int64.self)) ms / \(try $0.decode("calls", as: Int64.self)) calls "
                + "(\(try $0.decode("per_call", as: String.self)) ms each, planning \(try $0.decode("plan_per_call", as: String.self)) ms): "
                + (try $0.decode("query", as: String.self))
        }.joined(separator: "\n")
    }
}
