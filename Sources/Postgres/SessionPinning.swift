/// Whether a connection keeps one server session: Tally's LISTEN, session
/// advisory locks and named prepared statements need it. A pooler in
/// session mode (PgBouncer's `pool_mode = session`) keeps it; transaction or
/// statement mode hands each transaction whatever server session is free,
/// and those break silently, so Tally refuses to run on them.
public enum SessionPinning {
    /// Throws `misuse` when `connection` is not pinned to one server session:
    /// its backend changes between two statements, or a second client session
    /// opened meanwhile is served by the same backend (a pooler hands an idle
    /// client's server session to the next one that asks).
    public static func verify(_ connection: Connection, configuration: ConnectionConfiguration) async throws {
        let first = try await backend(of: connection)
        // Kept open until the second look, so that its session is busy then.
        let other = try await Connection.connect(configuration)
        let otherBackend = try await backend(of: other)
        let again = try await backend(of: connection)
        withExtendedLifetime(other) {}
        guard first == again, first != otherBackend else { throw notPinned }
    }

    static let notPinned = PostgresError(
        .misuse,
        "the database connection does not keep its server session (statements ran on different server processes): "
            + "a connection pooler in transaction or statement mode is in front of PostgreSQL",
        hint: "Tally needs session pooling (LISTEN, advisory locks, prepared statements): set pool_mode = session "
            + "for this database in PgBouncer, or point DATABASE_URL at PostgreSQL itself")

    private static func backend(of connection: Connection) async throws -> Int32 {
        try await connection.query("SELECT pg_backend_pid() AS pid", name: "check the server session")[0].decode("pid")
    }
}
