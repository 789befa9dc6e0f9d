import ArgumentParser
import Foundation
import TallyCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the sql/ migrations that the database lacks.",
        discussion: """
            Each file runs in its own transaction and is recorded with its checksum. \
            Several `tally migrate` at once are safe: they take turns on an advisory lock, \
            and each file is applied once. A file changed after it was applied is refused.

            Example:
              DATABASE_URL=postgresql://tally@db/tally tally migrate
            """
    )

    @Option(name: .customLong("sql-dir"), help: "The migrations folder (default: $TALLY_SQL_DIR, else ../share/tally/sql beside the executable, else the sql/ of the source tree it was built from; never ./sql).")
    var sqlDirectory: String?

    func run() async throws {
        try await reportingFailures {
            let directory = MigrationDirectory.locate(explicit: sqlDirectory)
            let migrator = Migrator(migrations: try Migration.load(from: directory))
            print("migrations from \(directory.path)")
            let connection = try await Commands.connect("migrate")
            let report = try await migrator.apply(on: connection)
            for file in report.applied { print("applied \(file)") }
            print("schema is current: \(report.alreadyApplied + report.applied.count) migrations, \(report.applied.count) applied now")
        }
    }
}
