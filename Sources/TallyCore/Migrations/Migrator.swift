public import Postgres
import Foundation

/// Applies migrations in order, each in its own transaction, recorded with a
/// checksum in `schema_migrations`. A session-level advisory lock serialises
/// concurrent runs: a second `tally migrate` waits, then finds nothing to do.
public struct Migrator: Sendable {
    /// "tally" in ASCII: the advisory lock key that only migrations take.
    static let lockKey: Int64 = 0x74_61_6C_6C_79

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    public struct Report: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: Int
    }

    public func apply(on connection: Connection) async throws -> Report {
        // A migration may wait for the lock and rewrite big tables: no session statement timeout.
        try await connection.execute("SET statement_timeout = 0", name: "no statement timeout for migrations")
        try await connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))", name: "take the migration lock")
        do {
            let report = try await applyLocked(on: connection)
            try await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))", name: "release the migration lock")
            return report
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))", name: "release the migration lock")
            throw error
        }
    }

    /// `gen_random_uuid()` without an extension, among others.
    public static let minimumServerVersion = 130_000

    private func applyLocked(on connection: Connection) async throws -> Report {
        let server = try await connection.query("""
            SELECT current_setting('server_version_num')::int AS number, current_setting('server_version') AS version
            """, name: "server version")[0]
        guard try server.decode("number", as: Int.self) >= Self.minimumServerVersion else {
            throw MigrationError.serverTooOld(version: try server.decode("version"))
        }
        try await connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                file_name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, name: "create schema_migrations")
        let checksums = try await checksums(on: connection)
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try await connection.query("SELECT version, file_name, checksum FROM schema_migrations", name: "read applied migrations") {
            applied[try row.decode("version")] = (try row.decode("file_name"), try row.decode("checksum"))
        }
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let index = migrations.firstIndex(where: { $0.version == version }) else {
                throw MigrationError.unknownApplied(version: version, name: record.name)
            }
            if checksums[index] != record.checksum {
                throw MigrationError.changedAfterApply(file: migrations[index].fileName, applied: record.checksum, now: checksums[index])
            }
        }
        var report = Report(applied: [], alreadyApplied: applied.count)
        for (index, migration) in migrations.enumerated() where applied[migration.version] == nil {
            do {
                try await connection.withTransaction { tx in
                    try await tx.executeScript(migration.sql, name: migration.fileName)
                    try await tx.execute("""
                        INSERT INTO schema_migrations (version, file_name, checksum)
                        VALUES (\(migration.version), \(migration.fileName), \(checksums[index]))
                        """, name: "record migration")
                }
            } catch let error as PostgresError {
                throw MigrationError.failed(file: migration.fileName, reason: error.description)
            }
            report.applied.append(migration.fileName)
        }
        return report
    }

    /// SHA-256 of each file's text, computed by the server (no crypto dependency here).
    private func checksums(on connection: Connection) async throws -> [String] {
        let texts = migrations.map(\.sql)
        let rows = try await connection.query("""
            SELECT encode(sha256(convert_to(sql, 'UTF8')), 'hex') AS checksum
            FROM unnest(\(texts)::text[]) WITH ORDINALITY AS files(sql, position)
            ORDER BY position
            """, name: "checksum migrations")
        return try rows.map { try $0.decode("checksum") }
    }
}
