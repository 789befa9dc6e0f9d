import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    /// Runs `tally migrate` as a real process against `configuration`'s database.
    func runMigrate(
        _ configuration: ConnectionConfiguration, sqlDirectory: URL?, in directory: URL? = nil
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = Fixtures.tallyExecutable
        process.arguments = ["migrate"] + (sqlDirectory.map { ["--sql-dir", $0.path] } ?? [])
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_SQL_DIR"] = nil
        environment["DATABASE_URL"] = Fixtures.url(configuration)
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// A `sql/` in the directory an operator happens to be in is not the
    /// schema: without --sql-dir, migrate reads the release's (here the build
    /// tree's) migrations and says where from (issue 18).
    @Test func migrateNeverTakesItsSQLFromTheCurrentDirectory() async throws {
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("stray-\(UUID())")
        try FileManager.default.createDirectory(at: elsewhere.appendingPathComponent("sql"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try "CREATE TABLE stray (x int);".write(
            to: elsewhere.appendingPathComponent("sql/001_schema.sql"), atomically: true, encoding: .utf8)
        try await TestDatabase.withFresh { configuration in
            let outcome = try runMigrate(configuration, sqlDirectory: nil, in: elsewhere)
            #expect(outcome.status == 0, "\(outcome.output)")
            #expect(outcome.output.contains("migrations from \(Fixtures.sqlDirectory.standardizedFileURL.path)"), "\(outcome.output)")
            let connection = try await Connection.connect(configuration)
            let tables = try await connection.query("""
                SELECT count(*) FILTER (WHERE relname = 'stray')::int AS stray, count(*) FILTER (WHERE relname = 'jobs')::int AS jobs
                FROM pg_class WHERE relkind = 'r'
                """)[0]
            #expect(try tables.decode("stray", as: Int.self) == 0 && tables.decode("jobs", as: Int.self) == 1)
        }
    }

    @Test func threeConcurrentMigrateProcessesApplyEachFileOnce() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Fixtures.tallyExecutable.path),
                "build first: swift build (make test does)")
        try await TestDatabase.withFresh { configuration in
            let outcomes = try await withThrowingTaskGroup(of: (status: Int32, output: String).self) { group in
                for _ in 0..<3 {
                    group.addTask { try self.runMigrate(configuration, sqlDirectory: Fixtures.sqlDirectory) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.output)") }
            let appliedNow = outcomes.map { $0.output.components(separatedBy: "applied 001_schema.sql").count - 1 }
            #expect(appliedNow.reduce(0, +) == 1)
            let connection = try await Connection.connect(configuration)
            let rows = try await connection.query("SELECT version FROM schema_migrations ORDER BY version")
            let files = try Migration.load(from: Fixtures.sqlDirectory)
            #expect(try rows.map { try $0.decode("version", as: Int.self) } == files.map(\.version))
        }
    }

    @Test func aChangedMigrationIsRefused() async throws {
        try await Fixtures.withMigratedDatabase { _, connection in
            var migrations = try Migration.load(from: Fixtures.sqlDirectory)
            migrations[0] = Migration(version: migrations[0].version, fileName: migrations[0].fileName,
                                      sql: migrations[0].sql + "\n-- edited\n")
            let error = try await #require(throws: MigrationError.self) {
                try await Migrator(migrations: migrations).apply(on: connection)
            }
            guard case .changedAfterApply(let file, _, _) = error else {
                Issue.record("expected changedAfterApply, got \(error)")
                return
            }
            #expect(file == "001_schema.sql")
            #expect(error.description.contains("put the change in a new migration"))
        }
    }

    @Test func aFailingMigrationRollsBackAndNamesItsFile() async throws {
        try await Fixtures.withMigratedDatabase { _, connection in
            let broken = try Migration.load(from: Fixtures.sqlDirectory) + [
                Migration(version: 999, fileName: "999_broken.sql",
                          sql: "CREATE TABLE half_done (id int);\nSELECT no_such_function();"),
            ]
            let error = try await #require(throws: MigrationError.self) {
                try await Migrator(migrations: broken).apply(on: connection)
            }
            #expect(error.description.contains("999_broken.sql"))
            let exists = try await connection.query("SELECT to_regclass('half_done') IS NOT NULL AS present")
            #expect(try exists[0].decode("present", as: Bool.self) == false)
            let recorded = try await connection.query("SELECT count(*)::int AS n FROM schema_migrations WHERE version = 999")
            #expect(try recorded[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test func aDatabaseMigratedByANewerReleaseIsRefused() async throws {
        try await Fixtures.withMigratedDatabase { _, connection in
            try await connection.execute("INSERT INTO schema_migrations VALUES (998, '998_future.sql', 'x')")
            let error = try await #require(throws: MigrationError.self) {
                try await Migrator(migrations: try Migration.load(from: Fixtures.sqlDirectory)).apply(on: connection)
            }
            #expect(error == .unknownApplied(version: 998, name: "998_future.sql"))
        }
    }

    @Test func filesAreReadInNumberOrderAndDuplicatesRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in [("010_b.sql", "SELECT 2"), ("002_a.sql", "SELECT 1"), ("README.md", "x")] {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        #expect(try Migration.load(from: directory).map(\.fileName) == ["002_a.sql", "010_b.sql"])
        try "SELECT 3".write(to: directory.appendingPathComponent("010_c.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.duplicateVersion(10, "010_b.sql", "010_c.sql")) {
            try Migration.load(from: directory)
        }
    }
}
