public import Foundation

/// Where `tally migrate` finds its `sql/` files: `--sql-dir`, else
/// `TALLY_SQL_DIR`, else `./sql`, else `../share/tally/sql` beside the
/// executable (the layout of an installed release).
public enum MigrationDirectory {
    public static func locate(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? "",
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let fromEnvironment = environment["TALLY_SQL_DIR"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment)
        }
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent("sql")
        if FileManager.default.fileExists(atPath: local.appendingPathComponent("001_schema.sql").path) { return local }
        return URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/tally/sql")
    }
}
