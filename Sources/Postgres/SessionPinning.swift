import NIOConcurrencyHelpers

/// Whether a connection keeps one server session: Tally's LISTEN, session
/// advisory locks and named prepared statements need it. A pooler in
/// session mode (PgBouncer's `pool_mode = session`) keeps it; transaction or
/// statement mode hands each transaction whatever server session is free,
/// and those break silently, so Tally refuses to run on them.
public enum SessionPinning {
    /// Throws `misuse` when `connection` is not pinned to one server session:
    /// its backend changes between two statements, or a second client session
    /// opened meanwhile is served by the same backend (a pooler hands an idle
    /// client's server session to the next one that asks). A second session
    /// that gets no server within `wait` (a session pool with no server free)
    /// proves nothing against pinning: a transaction pooler would have handed
    /// it the idle one at once.
    public static func verify(
        _ connection: Connection, configuration: ConnectionConfiguration, wait: Duration = .seconds(5)
    ) async throws {
        let first = try await backend(of: connection)
        let otherBackend = try await secondSessionsBackend(configuration, wait: wait)
        let again = try await backend(of: connection)
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

    /// The backend of a second session, kept open until the caller's second
    /// look (so that its server is busy then); nil when none answered within
    /// `wait`. The connect blocks its own thread and cannot be interrupted, so
    /// it is raced rather than awaited.
    private static func secondSessionsBackend(_ configuration: ConnectionConfiguration, wait: Duration) async throws -> Int32? {
        let answered = NIOLockedValueBox(false)
        let outcome: Result<Int32?, any Error> = await withCheckedContinuation { continuation in
            @Sendable func answer(_ result: Result<Int32?, any Error>) {
                let first = answered.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            Task {
                do {
                    let other = try await Connection.connect(configuration)
                    answer(.success(try await backend(of: other)))
                    // Held a moment past the answer, while the caller looks again.
                    try? await Task.sleep(for: .milliseconds(200))
                    withExtendedLifetime(other) {}
                } catch {
                    answer(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: wait)
                answer(.success(nil))
            }
        }
        return try outcome.get()
    }
}
