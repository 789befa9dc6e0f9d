import Foundation
public import Postgres

/// A PgBouncer in front of the tests' PostgreSQL (`scripts/pgbouncer`),
/// stopped by `stop()` or when released.
public final class PgBouncer: @unchecked Sendable {
    public let port: Int
    let directory: String
    private var stopped = false

    public struct NotStarted: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts one in `mode` (PgBouncer's pool_mode) before the server of
    /// `server`, with `poolSize` server sessions per database and user.
    public init(mode: String, server: ConnectionConfiguration, poolSize: Int = 60) throws {
        guard let serverPort = URLComponents(string: server.conninfo ?? "")?.port else {
            throw NotStarted(description: "DATABASE_URL names no port on 127.0.0.1: run the tests with scripts/with-postgres")
        }
        let (status, output) = ProjectScript.run(
            "pgbouncer", ["start", mode, "\(serverPort)"], environment: ["PGBOUNCER_POOL_SIZE": "\(poolSize)"])
        let words = output.split(separator: " ").map(String.init)
        guard status == 0, words.count == 2, let port = Int(words[0]) else {
            throw NotStarted(description: "scripts/pgbouncer start failed (install PgBouncer: apt-get install -y pgbouncer): \(output)")
        }
        self.port = port
        directory = words[1]
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = Self.script(["stop", directory])
    }

    /// `configuration`'s database, reached through this PgBouncer.
    public func route(_ configuration: ConnectionConfiguration) -> ConnectionConfiguration {
        var routed = configuration
        var components = URLComponents(string: configuration.conninfo!)!
        components.port = port
        routed.conninfo = components.string!
        return routed
    }

    private static func script(_ arguments: [String]) -> (Int32, String) {
        ProjectScript.run("pgbouncer", arguments)
    }
}
