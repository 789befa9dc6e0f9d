public import Foundation

/// Where `tally migrate` finds its `sql/` files: `--sql-dir`, else
/// `TALLY_SQL_DIR`, else `../share/tally/sql` beside the executable (an
/// installed release), else the `sql/` of the source tree the executable was
/// built from (a development build). Never the current directory: a stray
/// `sql/` there must not become the schema.
public enum MigrationDirectory {
    /// The source tree's `sql/`, as known when this file was compiled.
    public static let buildTree = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql")

    public static func locate(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? "",
        buildTree: URL = MigrationDirectory.buildTree
    ) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let fromEnvironment = environment["TALLY_SQL_DIR"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment)
        }
        let installed = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/tally/sql")
        if holdsMigrations(installed) || !holdsMigrations(buildTree) { return installed }
        return buildTree
    }

    static func holdsMigrations(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("001_schema.sql").path)
    }
}
