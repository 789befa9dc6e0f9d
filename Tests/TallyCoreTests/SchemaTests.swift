import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Schema v1 constraints")
struct SchemaTests {
    /// Two tenants, each with one organization (id 100 for tenant 1, 200 for tenant 2) and one run.
    static let seed = """
        INSERT INTO tenants (tenant_id, slug, name, autotask_username, autotask_integration_code)
        VALUES (1, 'acme', 'Acme MSP', 'api@acme', 'CODE1'), (2, 'globex', 'Globex MSP', 'api@globex', 'CODE2');
        INSERT INTO organizations (tenant_id, organization_id, name, company_id, contract_id)
        VALUES (1, 100, 'Acme Client', 10, 1000), (2, 200, 'Globex Client', 20, 2000);
        INSERT INTO runs (tenant_id, run_id, trigger) VALUES (1, 1, 'sync_now'), (2, 2, 'sync_now');
        INSERT INTO jobs (tenant_id, kind, unique_key, run_id) VALUES (1, 'sync', 'sync/1/100/edr', 1);
        SELECT setval(pg_get_serial_sequence('tenants', 'tenant_id'), 10), setval(pg_get_serial_sequence('runs', 'run_id'), 10);
        """

    /// A statement that must be refused, and the SQLSTATE that refuses it.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let label: String
        let sql: String
        let sqlState: String
        var constraint: String? = nil
        var testDescription: String { label }
    }

    static let crossTenant: [Refusal] = [
        .init(label: "usage for another tenant's organization",
              sql: "INSERT INTO usage VALUES (1, 200, 'edr', 5, 'csv', now())", sqlState: "23503"),
        .init(label: "job in another tenant's run",
              sql: "INSERT INTO jobs (tenant_id, kind, unique_key, run_id) VALUES (1, 'sync', 'k', 2)", sqlState: "23503"),
        .init(label: "result for another tenant's organization",
              sql: "INSERT INTO results (tenant_id, job_id, organization_id, product, outcome) VALUES (2, 1, 100, 'edr', 'failed')",
              sqlState: "23503"),
        .init(label: "result in another tenant's run",
              sql: "INSERT INTO results (tenant_id, job_id, run_id, organization_id, product, outcome) VALUES (1, 1, 2, 100, 'edr', 'failed')",
              sqlState: "23503"),
        .init(label: "Sync Now of another tenant's organization",
              sql: "INSERT INTO runs (tenant_id, trigger, organization_id) VALUES (2, 'sync_now', 100)", sqlState: "23503"),
    ]

    static let checks: [Refusal] = [
        .init(label: "negative units", sql: "INSERT INTO usage VALUES (1, 100, 'edr', -1, 'csv', now())", sqlState: "23514"),
        .init(label: "unknown usage source", sql: "INSERT INTO usage VALUES (1, 100, 'edr', 1, 'fax', now())", sqlState: "23514"),
        .init(label: "unknown product", sql: "INSERT INTO usage VALUES (1, 100, 'xdr', 1, 'csv', now())", sqlState: "23503"),
        .init(label: "malformed product name", sql: "INSERT INTO products VALUES ('Bad Name', 'x', 'y', 'z')", sqlState: "23514"),
        .init(label: "day of month 32",
              sql: "UPDATE tenants SET schedule_kind = 'monthly', schedule_day = 32 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "day of month 0",
              sql: "UPDATE tenants SET schedule_kind = 'monthly', schedule_day = 0 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "monthly without a day", sql: "UPDATE tenants SET schedule_kind = 'monthly' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "daily with a day",
              sql: "UPDATE tenants SET schedule_day = 3 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "unknown schedule", sql: "UPDATE tenants SET schedule_kind = 'hourly' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "unknown time zone", sql: "UPDATE tenants SET time_zone = 'Mars/Olympus' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "offset instead of a zone name", sql: "UPDATE tenants SET time_zone = '+05:00' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "abbreviation instead of a zone name", sql: "UPDATE tenants SET time_zone = 'EST' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "POSIX zone instead of a region", sql: "UPDATE tenants SET time_zone = 'UTC+5' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "concurrency cap 0", sql: "UPDATE tenants SET concurrency_cap = 0 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "budget above Autotask's", sql: "UPDATE tenants SET hourly_request_budget = 10001 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "guard above 100 %", sql: "UPDATE tenants SET guard_max_drop_percent = 101 WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "bad slug", sql: "UPDATE tenants SET slug = 'Has Spaces' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "duplicate slug", sql: "UPDATE tenants SET slug = 'globex' WHERE tenant_id = 1", sqlState: "23505",
              constraint: "tenants_slug_key"),
        .init(label: "contract without a company",
              sql: "INSERT INTO organizations (tenant_id, organization_id, name, contract_id) VALUES (1, 101, 'x', 5)", sqlState: "23514"),
        .init(label: "unknown job state", sql: "UPDATE jobs SET state = 'lost' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "running job without a lease", sql: "UPDATE jobs SET state = 'running' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "finished job without a finish time", sql: "UPDATE jobs SET state = 'succeeded' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "job arguments not an object", sql: "UPDATE jobs SET args = '[1]' WHERE tenant_id = 1", sqlState: "23514"),
        .init(label: "duplicate job key",
              sql: "INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (1, 'sync', 'sync/1/100/edr')", sqlState: "23505", constraint: "jobs_tenant_id_unique_key_key"),
        .init(label: "unknown result outcome",
              sql: "INSERT INTO results (tenant_id, job_id, organization_id, product, outcome) VALUES (1, 1, 100, 'edr', 'ok')",
              sqlState: "23514"),
        .init(label: "success without units",
              sql: "INSERT INTO results (tenant_id, job_id, organization_id, product, outcome) VALUES (1, 1, 100, 'edr', 'succeeded')",
              sqlState: "23514"),
        .init(label: "scheduled run without a due time", sql: "INSERT INTO runs (tenant_id, trigger) VALUES (1, 'daily')", sqlState: "23514"),
        .init(label: "same period twice",
              sql: "INSERT INTO runs (tenant_id, trigger, due_at) VALUES (1, 'daily', '2026-01-01'), (1, 'daily', '2026-01-01')",
              sqlState: "23505", constraint: "runs_one_per_due_time"),
        .init(label: "tenant name with a terminal escape", sql: "UPDATE tenants SET name = E'Acme\\x1b[2J' WHERE tenant_id = 1",
              sqlState: "23514", constraint: "tenants_name_printable"),
        .init(label: "organization name with a C1 control", sql: "UPDATE organizations SET name = E'Client\\u009b2J' WHERE tenant_id = 1",
              sqlState: "23514", constraint: "organizations_name_printable"),
        .init(label: "organization name of 201 characters", sql: "UPDATE organizations SET name = repeat('n', 201) WHERE tenant_id = 1",
              sqlState: "23514", constraint: "organizations_name_printable"),
        .init(label: "secret too short to be sealed",
              sql: "INSERT INTO tenant_secrets VALUES (1, 'autotask_secret', '\\x00', 'k1')", sqlState: "23514"),
    ]

    @Test(arguments: crossTenant + checks)
    func refuses(_ refusal: Refusal) async throws {
        try await Fixtures.withMigratedDatabase { _, connection in
            try await connection.executeScript(Self.seed, name: "seed")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.executeScript(refusal.sql, name: refusal.label)
            }
            #expect(error.sqlState == refusal.sqlState, "\(error)")
            if let constraint = refusal.constraint { #expect(error.constraint == constraint) }
        }
    }

    /// sql/023 rewrote the kind check for speed; it must accept exactly the
    /// kinds the first one did: a lowercase letter, then up to 62 lowercase
    /// letters, digits or underscores.
    @Test func jobKindCheckKeepsTheFirstRule() async throws {
        let rule = /^[a-z][a-z0-9_]{0,62}$/
        var kinds = ["a", "sync", "huntress_refresh", "a" + String(repeating: "b", count: 62), "a" + String(repeating: "b", count: 63),
                     "", "Sync", "1sync", "_sync", "sync-now", "sync now", "synç", "sync\n", String(repeating: "z9_", count: 21)]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcz09_AZ-é ")
        for _ in 0..<40 {
            let length = Int.random(in: 0...66, using: &generator)
            kinds.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        try await Fixtures.withMigratedDatabase { _, connection in
            try await connection.executeScript(Self.seed, name: "seed")
            for (number, kind) in kinds.enumerated() {
                let accepted: Bool
                do {
                    try await connection.execute(
                        "INSERT INTO jobs (tenant_id, kind, unique_key) VALUES (1, \(kind), \("kind-\(number)"))", name: "job of a kind")
                    accepted = true
                } catch let error as PostgresError {
                    #expect(error.constraint == "jobs_kind_check", "\(error)")
                    accepted = false
                }
                #expect(accepted == (kind.wholeMatch(of: rule) != nil), "kind \(kind.debugDescription)")
            }
        }
    }

    @Test func acceptsAWellFormedTenant() async throws {
        try await Fixtures.withMigratedDatabase { _, connection in
            try await connection.executeScript(Self.seed, name: "seed")
            try await connection.executeScript("""
                UPDATE tenants SET schedule_kind = 'monthly', schedule_day = 31, time_zone = 'America/New_York' WHERE tenant_id = 1;
                INSERT INTO usage VALUES (1, 100, 'm365', 0, 'huntress', now());
                INSERT INTO service_mappings VALUES (1, 'edr', 55);
                INSERT INTO runs (tenant_id, trigger, due_at) VALUES (1, 'monthly', '2026-01-31 05:00+00');
                """, name: "valid rows")
            let rows = try await connection.query("SELECT count(*)::int AS n FROM usage")
            #expect(try rows[0].decode("n", as: Int.self) == 1)
        }
    }
}
