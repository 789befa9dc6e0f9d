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

    /// Starts one in `mode` (PgBouncer's pool_mode) before the server of `server`.
    public init(mode: String, server: ConnectionConfiguration) throws {
        guard let serverPort = URLComponents(string: server.conninfo ?? "")?.port else {
            throw NotStarted(description: "DATABASE_URL names no port on 127.0.0.1: run the tests with scripts/with-postgres")
        }
        let (status, output) = Self.script(["start", mode, "\(serverPort)"])
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

    /// The clients and server connections PgBouncer has for `database`
    /// (`SHOW POOLS` on its admin console, through psql: the console speaks
    /// only the simple protocol and takes none of a session's settings).
    public func pools(database: String) throws -> (clients: Int, servers: Int) {
        let (status, output) = ProjectScript.run(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "tally", "-d", "pgbouncer", "-AtF", ",", "-c", "SHOW POOLS"])
        guard status == 0 else { throw NotStarted(description: "SHOW POOLS failed: \(output)") }
        var clients = 0, servers = 0
        // database,user,cl_active,cl_waiting,cl_cancel_req,sv_active,sv_idle,sv_used,...
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
            guard line.hasPrefix(database + ","), fields.count > 7 else { continue }
            clients += fields[2] + fields[3]
            servers += fields[5] + fields[6] + fields[7]
        }
        return (clients, servers)
    }

    private static func script(_ arguments: [String]) -> (Int32, String) {
        ProjectScript.run("pgbouncer", arguments)
    }
}
