import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// tally_dashboard reads the dashboard views and nothing else.
@Suite("Dashboard role")
struct DashboardAccessTests {
    @Test func theRoleReadsEveryViewAndNoTable() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            try await DashboardFixture.load(on: db)
            try await db.execute("SET ROLE tally_dashboard")
            for view in DashboardFixture.views {
                let count = try await db.query("SELECT count(*)::int AS n FROM dashboard.\(identifier: view)")[0].decode("n", as: Int.self)
                #expect(count > 0, "dashboard.\(view) is empty for tally_dashboard")
            }
            // What `tally status` reads works as the role too.
            _ = try await ClusterStatus.load(on: db)
            #expect(try await Dashboard.syncStatus(tenantID: 1, on: db).count == 4)

            for table in ["tenant_secrets", "tenants", "results", "jobs", "usage", "organizations", "workers", "schema_migrations",
                          "notify_destinations", "contract_notes", "alert_deliveries"] {
                let denied = await #expect(throws: PostgresError.self, "tally_dashboard can read \(table)") {
                    try await db.query("SELECT * FROM \(identifier: table) LIMIT 1")
                }
                #expect(denied?.sqlState == "42501", "reading \(table)")
            }
            await #expect(throws: PostgresError.self) { try await db.execute("DELETE FROM dashboard.tenants") }
            try await db.execute("RESET ROLE")
        }
    }

    /// JIT would compile the cluster-wide views for longer than they run; sessions
    /// of any role start without it (migration 007), Grafana's included.
    @Test func everyNewSessionStartsWithJITOff() async throws {
        try await Fixtures.withMigratedDatabase { configuration, _ in
            let session = try await Connection.connect(configuration)
            #expect(try await session.query("SELECT current_setting('jit') AS jit")[0].decode("jit", as: String.self) == "off")
            try await session.execute("SET ROLE tally_dashboard")
            #expect(try await session.query("SELECT current_setting('jit') AS jit")[0].decode("jit", as: String.self) == "off")
        }
    }

    @Test func theRoleHasNoPrivilegeOnAnyTableAndNoViewShowsACredential() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let granted = try await db.query("""
                SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'dashboard') AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
                  AND has_table_privilege('tally_dashboard', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
                """)
            #expect(try granted.map { try $0.decode("name", as: String.self) } == [])
            let views = try await db.query("""
                SELECT c.relname AS name, has_table_privilege('tally_dashboard', c.oid, 'SELECT') AS can_select,
                       has_table_privilege('tally_dashboard', c.oid, 'INSERT, UPDATE, DELETE') AS can_write
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dashboard' ORDER BY 1
                """)
            #expect(try views.map { try $0.decode("name", as: String.self) } == DashboardFixture.views.sorted())
            #expect(try views.allSatisfy { try $0.decode("can_select", as: Bool.self) && !(try $0.decode("can_write", as: Bool.self)) })
            let credentials = try await db.query("""
                SELECT table_name || '.' || column_name AS name FROM information_schema.columns
                WHERE table_schema = 'dashboard' AND column_name ~ '(secret|sealed|password|username|integration|key)'
                """)
            #expect(try credentials.map { try $0.decode("name", as: String.self) } == [])
            // Functions run with their caller's rights unless SECURITY DEFINER: none may be.
            let definers = try await db.query("""
                SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                """)
            #expect(try definers.map { try $0.decode("name", as: String.self) } == [])
            let role = try await db.query("SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = 'tally_dashboard'")
            #expect(try role.first?.decode("rolcanlogin", as: Bool.self) == false)
            #expect(try role.first?.decode("rolsuper", as: Bool.self) == false)
        }
    }
}
