import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

@Suite struct RoleTests {
    @Test func theApplicationRoleWritesRowsButNoSchema() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            try await db.execute("SET ROLE tally_app")
            _ = try await JobQueue.enqueue(NewJob(tenantID: tenant, kind: "noop", uniqueKey: "as-app"), on: db)
            try await db.execute("UPDATE tenants SET paused = true WHERE tenant_id = \(tenant)")
            for statement: SQL in ["CREATE TABLE intruder (id int)", "DROP TABLE jobs", "ALTER TABLE jobs ADD COLUMN x int",
                                   "DELETE FROM schema_migrations"] {
                do {
                    try await db.execute(statement)
                    Issue.record("tally_app could run \(statement.text)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "42501", "\(statement.text): \(error)")
                }
            }
            try await db.execute("RESET ROLE")
        }
    }

    /// Before PostgreSQL 15 every role could create objects in public, and so
    /// shadow a table or function Tally names without a schema (issue 18).
    @Test func afterMigratingOnlyTheOwnerCreatesInPublic() async throws {
        try await TestDatabase.withFresh { configuration in
            let db = try await Connection.connect(configuration)
            try await db.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")  // an older server's default
            _ = try await Migrator(migrations: try Migration.load(from: Fixtures.sqlDirectory)).apply(on: db)
            let row = try await db.query("""
                SELECT has_schema_privilege('tally_app', 'public', 'CREATE') AS app,
                       has_schema_privilege('tally_dashboard', 'public', 'CREATE') AS dashboard
                """)[0]
            #expect(try row.decode("app", as: Bool.self) == false)
            #expect(try row.decode("dashboard", as: Bool.self) == false)
        }
    }

    /// Tally's PL/pgSQL functions (the queue's triggers among them) resolve
    /// names in public whatever the caller's search_path, and Tally's sessions
    /// pin the same path (issue 18).
    @Test func functionsAndSessionsPinTheirSearchPath() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let unpinned = try await db.query("""
                SELECT p.proname::text AS name FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
                WHERE n.nspname = 'public' AND p.proname LIKE 'tally\\_%' AND l.lanname = 'plpgsql'
                  AND NOT coalesce('search_path=public, pg_temp' = ANY(p.proconfig), false)
                """).map { try $0.decode("name", as: String.self) }
            #expect(unpinned.isEmpty, "\(unpinned)")
            let plpgsqlFunctions = try await db.query("""
                SELECT count(*)::int AS n FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.proname LIKE 'tally\\_%' AND l.lanname = 'plpgsql'
                """)[0].decode("n", as: Int.self)
            #expect(plpgsqlFunctions >= 9)
            #expect(try await db.query("SHOW search_path")[0].decode("search_path", as: String.self) == "public, pg_temp")
        }
    }
}
