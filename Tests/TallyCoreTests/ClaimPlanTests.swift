import Foundation
import Postgres
import TallyQueue
import TestSupport
import Testing

/// A claim reads one batch of its tenant's jobs, not the tenant's backlog,
/// even before PostgreSQL has statistics of the jobs table (issue 19, sql/021).
@Suite("Claim plan")
struct ClaimPlanTests {
    @Test func aClaimInAFreshDatabaseReadsItsBatchNotTheTenantsBacklog() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            // The queue benchmark's shape: 12 tenants with 2,500 jobs each, enqueued
            // in turn (as a tick enqueues many tenants), so that the indexes split
            // as they do in use: the planner's choice depends on their sizes.
            let tenants = try await Fixtures.addTenants(caps: Array(repeating: 3, count: 12), on: db)
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key)
                SELECT (\(tenants)::bigint[])[n % 12 + 1], 'noop', 'backlog-' || n FROM generate_series(0, 29999) AS n
                """)
            let batch = 10
            let claim = JobQueue.claimStatement(
                worker: UUID(), task: 0, batchSize: batch, lease: .seconds(30), kinds: ["noop"], kindsDecideTenant: false)
            // The plan a worker keeps for its session: generic, made with the statistics there are (none).
            try await db.execute("SET plan_cache_mode = force_generic_plan")
            try await db.execute(SQL("PREPARE claim AS " + claim.text, parameters: []))
            let arguments = claim.parameters.map { $0.map(quoteLiteral) ?? "NULL" }.joined(separator: ", ")
            let json: String = try await db.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim(\(arguments))", parameters: []))[0]
                .decode("QUERY PLAN")
            let plan = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.first?["Plan"] as? [String: Any])
            let readsOfJobs = Self.nodes(plan).filter { $0["Relation Name"] as? String == "jobs" }
            #expect(!readsOfJobs.isEmpty)
            // The share counts at most batch × cap ready jobs; the batch itself is `batch` rows.
            let most = readsOfJobs.map { ($0["Actual Rows"] as? Int ?? 0) }.max() ?? 0
            #expect(most <= batch * 3, "a read of jobs returned \(most) rows: \(readsOfJobs.map { $0["Index Name"] ?? $0["Node Type"] ?? "" })")
            let claimed = try await db.query("SELECT count(*)::int AS n FROM jobs WHERE state = 'running'")[0].decode("n", as: Int.self)
            #expect(claimed == batch)
        }
    }

    private static func nodes(_ plan: [String: Any]) -> [[String: Any]] {
        [plan] + ((plan["Plans"] as? [[String: Any]]) ?? []).flatMap(nodes)
    }
}
