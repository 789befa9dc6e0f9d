public import Foundation
public import Postgres
import TallyCore


public enum Fixtures {
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let sqlDirectory = packageRoot.appendingPathComponent("sql")
    public static let tallyExecutable = packageRoot.appendingPathComponent(".build/debug/tally")
    /// `tally-bench worker` is tally's worker plus the test-only kind `crash`.
    public static let benchExecutable = packageRoot.appendingPathComponent(".build/debug/tally-bench")

    /// A fresh database with every migration of sql/ applied.
    public static func withMigratedDatabase<Result>(
        server: ConnectionConfiguration? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration, Connection) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withFresh(server: server) { configuration in
            let connection = try await Connection.connect(configuration)
            _ = try await Migrator(migrations: try Migration.load(from: sqlDirectory)).apply(on: connection)
            return try await body(configuration, connection)
        }
    }
}
