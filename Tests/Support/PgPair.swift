public import Postgres

/// A PostgreSQL primary and a streaming standby of a test's own
/// (`scripts/pg-pair`), stopped and removed by `stop()` or when released.
public final class PgPair: @unchecked Sendable {
    public let primaryPort: Int
    public let standbyPort: Int
    let directory: String
    private var stopped = false

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// `synchronous`: a commit waits until the standby has flushed it.
    public init(synchronous: Bool) throws {
        let (status, output) = ProjectScript.run("pg-pair", ["start"] + (synchronous ? ["--sync"] : []))
        let words = output.split(separator: " ").map(String.init)
        guard status == 0, words.count == 3, let primary = Int(words[0]), let standby = Int(words[1]) else {
            throw Failed(description: "scripts/pg-pair start failed: \(output)")
        }
        primaryPort = primary
        standbyPort = standby
        directory = words[2]
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = ProjectScript.run("pg-pair", ["stop", directory])
    }

    /// Both servers, the writable one wherever it is (`target_session_attrs`),
    /// as a multi-host conninfo: the primary first, then the standby.
    public func configuration(user: String = "tally", sessionAttributes: String = "read-write") -> ConnectionConfiguration {
        ConnectionConfiguration(
            conninfo: "host=127.0.0.1,127.0.0.1 port=\(primaryPort),\(standbyPort) user=\(user) dbname=postgres "
                + "target_session_attrs=\(sessionAttributes)",
            applicationName: "tally-tests")
    }

    /// The standby stops receiving WAL: what the primary commits from now on is lost at a fail-over.
    public func cutReplication() throws { try script("cut") }

    /// The primary stops as a crash would; the standby is promoted.
    public func failOver() throws { try script("fail-over") }

    private func script(_ action: String) throws {
        let (status, output) = ProjectScript.run("pg-pair", [action, directory])
        guard status == 0 else { throw Failed(description: "scripts/pg-pair \(action) failed: \(output)") }
    }
}
