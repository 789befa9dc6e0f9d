import Foundation
public import Postgres
#if canImport(Glibc)
import Glibc
#endif

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
        let (status, output) = try Self.script(["start", mode, "\(serverPort)"])
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
        _ = try? Self.script(["stop", directory])
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
        let (status, output) = try Self.run(
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

    private static func script(_ arguments: [String]) throws -> (Int32, String) {
        try run(Fixtures.packageRoot.appendingPathComponent("scripts/pgbouncer"), arguments)
    }

    /// system(3), not Process: the daemon PgBouncer becomes would inherit
    /// Process's exit-watching descriptor, and the script would never end.
    private static func run(_ executable: URL, _ arguments: [String]) throws -> (Int32, String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-pgbouncer-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let command = ([executable.path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let status = system("\(command) >'\(outputFile.path)' 2>&1")
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return (status == 0 ? 0 : max(1, status >> 8), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
