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
}
