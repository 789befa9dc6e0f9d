public import Foundation
public import Postgres


#if canImport(Glibc)
import Glibc
#endif

/// A real `tally worker` (or other long-running `tally` command) process against a test database.
public final class WorkerProcess: @unchecked Sendable {
    public let process = Process()
    public let logFile: URL

    public init(
        _ configuration: ConnectionConfiguration, command: String = "worker", arguments: [String],
        environment extra: [String: String] = [:], executable: URL = Fixtures.tallyExecutable
    ) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(command)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = [command] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = Fixtures.url(configuration)
        environment["TALLY_LOG_LEVEL"] = "info"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logFile)
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit; answers its status (nil if still running after `timeout`).
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}

extension Fixtures {
    /// The test database as a URI: the server's URI with its path replaced.
    public static func url(_ configuration: ConnectionConfiguration) -> String {
        let conninfo = configuration.conninfo!
        guard conninfo.hasPrefix("postgres") else {
            // A `key=value` conninfo (several hosts, say): a later dbname wins.
            return conninfo + " dbname=" + configuration.overrides["dbname"]!
        }
        var components = URLComponents(string: conninfo)!
        components.path = "/" + configuration.overrides["dbname"]!
        return components.string!
    }

    /// Adds tenants with the given concurrency caps; answers their ids.
    public static func addTenants(caps: [Int], on connection: Connection) async throws -> [Int64] {
        var ids: [Int64] = []
        for (index, cap) in caps.enumerated() {
            let rows = try await connection.query("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, concurrency_cap)
                VALUES (\("tenant-\(index)"), \("Tenant \(index)"), \("api\(index)@example.com"), \("CODE\(index)"), \(cap))
                RETURNING tenant_id
                """)
            ids.append(try rows[0].decode("tenant_id"))
        }
        return ids
    }

    /// Waits until `sql` (one row, one int column `n`) answers `expected`.
    public static func waitFor(
        _ sql: SQL, toBe expected: Int, on connection: Connection, timeout: Duration = .seconds(60)
    ) async throws -> Bool {
        try await TestDatabase.waitUntil(timeout: timeout) {
            try await connection.query(sql)[0].decode("n", as: Int.self) == expected
        }
    }

    public static func count(_ sql: SQL, on connection: Connection) async throws -> Int {
        try await connection.query(sql)[0].decode("n", as: Int.self)
    }
}

extension [WorkerProcess] {
    /// SIGTERM to each, then waits for all to exit.
    public func stopAll() async {
        for worker in self { worker.signal(SIGTERM) }
        for worker in self { _ = await worker.waitForExit() }
    }
}
