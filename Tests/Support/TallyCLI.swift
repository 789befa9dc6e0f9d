import Foundation
public import Postgres

/// Runs the built `tally` binary once and captures what it printed.
public struct TallyCLI {
    public struct Result {
        public var status: Int32
        public var output: String
        public var error: String
    }

    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public init(_ fixture: SyncFixture) {
        environment = fixture.workerEnvironment
        environment["DATABASE_URL"] = Fixtures.url(fixture.configuration)
    }

    public func run(_ arguments: [String], input: String? = nil, environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Fixtures.tallyExecutable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { _, new in new }
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let output = Pipe(), error = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }
}

extension Fixtures {
    /// A digest of every table an operator's command may write: equal digests, nothing written.
    public static func digest(on connection: Connection) async throws -> String {
        var parts: [String] = []
        for table in ["tenants", "tenant_secrets", "service_mappings", "organizations", "usage", "runs", "jobs", "results"] {
            parts.append(try await connection.query("""
                SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM \(unescaped: table) t
                """)[0].decode("d", as: String.self))
        }
        return parts.joined(separator: ",")
    }
}
