import Foundation
import Postgres
import TallyCore
import TestSupport

enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sqlDirectory = packageRoot.appendingPathComponent("sql")
    static let tallyExecutable = packageRoot.appendingPathComponent(".build/debug/tally")
    /// `tally-bench worker` is tally's worker plus the test-only kind `crash`.
    static let benchExecutable = packageRoot.appendingPathComponent(".build/debug/tally-bench")

    /// A fresh database with every migration of sql/ applied.
    static func withMigratedDatabase<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ConnectionConfiguration, Connection) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            _ = try await Migrator(migrations: try Migration.load(from: sqlDirectory)).apply(on: connection)
            return try await body(configuration, connection)
        }
    }
}
