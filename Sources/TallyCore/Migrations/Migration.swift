public import Foundation

/// One numbered SQL file of `sql/`, e.g. `001_schema.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let fileName: String
    public let sql: String

    public init(version: Int, fileName: String, sql: String) {
        self.version = version
        self.fileName = fileName
        self.sql = sql
    }

    /// Reads every `NNN_name.sql` file of `directory`, in version order.
    /// Other files are ignored; a malformed or repeated number is an error.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.directoryUnreadable(directory.path)
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let prefix = name.prefix { $0.isNumber }
            guard !prefix.isEmpty, let version = Int(prefix), name.dropFirst(prefix.count).hasPrefix("_") else { continue }
            if let twin = migrations.first(where: { $0.version == version }) {
                throw MigrationError.duplicateVersion(version, twin.fileName, name)
            }
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path), let sql = String(data: data, encoding: .utf8) else {
                throw MigrationError.fileUnreadable(url.path)
            }
            migrations.append(Migration(version: version, fileName: name, sql: sql))
        }
        guard !migrations.isEmpty else { throw MigrationError.noMigrations(directory.path) }
        return migrations.sorted { $0.version < $1.version }
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryUnreadable(String)
    case noMigrations(String)
    case fileUnreadable(String)
    case duplicateVersion(Int, String, String)
    case changedAfterApply(file: String, applied: String, now: String)
    case unknownApplied(version: Int, name: String)
    case failed(file: String, reason: String)
    case serverTooOld(version: String)

    public var description: String {
        switch self {
        case .serverTooOld(let version):
            return "Tally needs PostgreSQL \(Migrator.minimumServerVersion / 10_000) or later (it is tested on 15); this server runs \(version): upgrade it, then migrate"
        case .directoryUnreadable(let path):
            return "cannot read the migrations directory \(path): pass --sql-dir or set TALLY_SQL_DIR to the sql/ folder of this release"
        case .noMigrations(let path):
            return "no migrations (NNN_name.sql files) in \(path): pass --sql-dir or set TALLY_SQL_DIR to the sql/ folder of this release"
        case .fileUnreadable(let path):
            return "cannot read \(path) as UTF-8 text"
        case .duplicateVersion(let version, let first, let second):
            return "two migrations have number \(version): \(first) and \(second); renumber the newer one"
        case .changedAfterApply(let file, let applied, let now):
            return "migration \(file) was changed after it was applied (checksum \(applied.prefix(12)) in the database, \(now.prefix(12)) on disk): restore the applied text and put the change in a new migration"
        case .unknownApplied(let version, let name):
            return "the database has migration \(version) (\(name)) that these sql/ files lack: it was migrated by a newer tally; run that release or its sql/ folder"
        case .failed(let file, let reason):
            return "migration \(file) failed and was rolled back: \(reason)"
        }
    }
}
