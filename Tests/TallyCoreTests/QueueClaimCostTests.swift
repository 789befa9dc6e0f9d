import Foundation
import Postgres
import TallyQueue
import TestSupport
import Testing

/// The claim's cost must not grow with the number of tenants that have work
/// (issue 19; the refresh benchmark's 1,000 tenants with one job each spent
/// most of PostgreSQL's time sorting every ready tenant's slots per claim).
@Suite("The claim reads a handful of rows however many tenants are ready", .serialized)
struct QueueClaimCostTests {
    /// The largest row count any plan node produced (rows × loops), from EXPLAIN ANALYZE.
    static func largestNodeRows(_ plan: Any) -> Int {
        guard let node = plan as? [String: Any] else { return 0 }
        let own = ((node["Actual Rows"] as? Int) ?? 0) * ((node["Actual Loops"] as? Int) ?? 1)
        let children = (node["Plans"] as? [Any] ?? []).map(largestNodeRows)
        return ([own] + children).max() ?? own
    }

    @Test func aClaimAmong2000ReadyTenantsReadsAHandfulOfRowsAndTenantsTakeTurns() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            try await db.execute("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, schedule_kind)
                SELECT 'ready-' || g, 'Ready ' || g, 'api' || g || '@example.com', 'CODE', 'manual' FROM generate_series(1, 2000) g
                """)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key) SELECT tenant_id, 'noop', 'job-' || n FROM tenants, generate_series(1, 2) n
                """)
            try await db.execute("ANALYZE")
            // Workers prepare the claim: the plan checked is the generic one they would get.
            try await db.execute("SET plan_cache_mode = force_generic_plan")
            let worker = UUID()
            var claimedTenants: [Int64] = []
            for task in 1...6 {
                let statement = JobQueue.claimStatement(
                    worker: worker, task: task, batchSize: 1, lease: .seconds(30), kinds: ["noop"], kindsDecideTenant: task % 2 == 0)
                try await db.execute(SQL(stringLiteral: "PREPARE claim_probe AS " + statement.text))
                let values = statement.parameters.map { $0.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
                let explain = SQL(stringLiteral: "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_probe(\(values.joined(separator: ", ")))")
                let json: String = try await db.query(explain)[0].decode("QUERY PLAN")
                let plan = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.first?["Plan"])
                #expect(Self.largestNodeRows(plan) <= 20, "claim \(task) made a node of \(Self.largestNodeRows(plan)) rows: \(json)")
                let held = try await db.query("""
                    SELECT tenant_id FROM jobs WHERE worker_id = \(worker) AND slot IS NOT NULL AND started_at IS NOT NULL
                    ORDER BY started_at DESC, job_id DESC LIMIT 1
                    """)
                claimedTenants.append(try held[0].decode("tenant_id"))
                try await db.execute("DEALLOCATE claim_probe")
            }
            // Each claim took a tenant not claimed before: turns, not one tenant's two jobs back to back.
            #expect(Set(claimedTenants).count == 6, "claimed tenants: \(claimedTenants)")
        }
    }
}
