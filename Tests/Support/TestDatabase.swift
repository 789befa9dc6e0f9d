public import Postgres
import Foundation

/// A database of its own for each test, on the server named by
/// `DATABASE_URL` (`make test` starts a throwaway one), dropped afterwards.
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "DATABASE_URL is not set: run the tests with `make test`, or `scripts/with-postgres swift test`"
        }
    }

    /// The server's configuration (its default database).
    public static func serverConfiguration() throws -> ConnectionConfiguration {
        let configuration = ConnectionConfiguration.fromEnvironment(applicationName: "tally-tests")
        guard configuration.conninfo != nil else { throw NotConfigured() }
        return configuration
    }

    /// Creates an empty database, runs `body` with its configuration, then
    /// drops it; on `server`, or the one `DATABASE_URL` names.
    public static func withFresh<Result>(
        server: ConnectionConfiguration? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration) async throws -> Result
    ) async throws -> Result {
        let server = try server ?? serverConfiguration()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try await Connection.connect(server)
        try await admin.execute("CREATE DATABASE \(identifier: String(name))")
        // A new connection for the drop: a test may have restarted the server.
        func drop() async throws {
            let admin = try await Connection.connect(server)
            try await admin.execute("DROP DATABASE \(identifier: String(name)) WITH (FORCE)")
        }
        do {
            let result = try await body(server.withDatabase(String(name)))
            try await drop()
            return result
        } catch {
            try? await drop()
            throw error
        }
    }

    /// Waits for `condition` to hold, checking it every `poll`, up to `timeout`;
    /// answers whether it held (the tests' one way to wait for something to
    /// happen, instead of sleeping for a while and hoping it did).
    public static func waitUntil(
        timeout: Duration = .seconds(10),
        poll: Duration = .milliseconds(20),
        isolation: isolated (any Actor)? = #isolation,
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: poll)
        }
        return try await condition()
    }
}
