import Foundation
import Postgres
import TallyCore

/// Each dashboard view in its query shapes (per tenant, whole cluster) over
/// a large data set (`DashboardData`), timed by the server with
/// `EXPLAIN (ANALYZE)`: the median of `--repeat` runs, with JIT off (as
/// `tally status` and the recommended dashboard login run) and on
/// (PostgreSQL's default). Goal: under 100 ms each.
struct DashboardBenchmark {
    struct Options {
        var tenants = 10_000
        /// Per tenant; two products each, so jobs = tenants × organizations × 2.
        var organizations = 50
        var repetitions = 5
    }

    struct Shape {
        var view: String
        var shape: String
        /// `$TENANT` stands for a tenant id.
        var sql: String
        var perTenant: Bool { sql.contains("$TENANT") }
    }

    static let shapes: [Shape] = [
        Shape(view: "sync_status", shape: "tenant: all rows", sql: "SELECT * FROM dashboard.sync_status WHERE tenant_id = $TENANT"),
        Shape(view: "sync_status", shape: "cluster: latest 100", sql: "SELECT * FROM dashboard.sync_status ORDER BY finished_at DESC LIMIT 100"),
        Shape(view: "sync_status", shape: "cluster: latest 100 not succeeded",
              sql: "SELECT * FROM dashboard.sync_status WHERE outcome <> 'succeeded' ORDER BY finished_at DESC LIMIT 100"),
        Shape(view: "runs", shape: "tenant: latest 20", sql: "SELECT * FROM dashboard.runs WHERE tenant_id = $TENANT ORDER BY created_at DESC LIMIT 20"),
        Shape(view: "runs", shape: "cluster: latest 50", sql: "SELECT * FROM dashboard.runs ORDER BY created_at DESC LIMIT 50"),
        Shape(view: "queue", shape: "tenant", sql: "SELECT * FROM dashboard.queue WHERE tenant_id = $TENANT"),
        Shape(view: "queue", shape: "cluster: all rows", sql: "SELECT * FROM dashboard.queue"),
        Shape(view: "failures", shape: "tenant: all rows", sql: "SELECT * FROM dashboard.failures WHERE tenant_id = $TENANT"),
        Shape(view: "failures", shape: "cluster: by reason, with a sample", sql: """
            SELECT g.*, (SELECT f.sample_message FROM dashboard.failures f
                         WHERE f.tenant_id = g.sample_tenant AND f.outcome = g.outcome AND f.reason_code = g.reason_code) AS sample
            FROM (SELECT outcome, reason_code, sum(results) AS results, count(*) AS tenants, max(tenant_id) AS sample_tenant, max(fix) AS fix
                  FROM dashboard.failures GROUP BY outcome, reason_code) AS g
            """),
        Shape(view: "workers", shape: "cluster: all rows", sql: "SELECT * FROM dashboard.workers"),
        Shape(view: "throughput", shape: "cluster: 60 minutes", sql: "SELECT * FROM dashboard.throughput"),
        Shape(view: "tenants", shape: "tenant", sql: "SELECT * FROM dashboard.tenants WHERE tenant_id = $TENANT"),
        Shape(view: "tenants", shape: "cluster: all rows", sql: "SELECT * FROM dashboard.tenants"),
        Shape(view: "unmapped", shape: "tenant: all rows", sql: "SELECT * FROM dashboard.unmapped WHERE tenant_id = $TENANT"),
        Shape(view: "unmapped", shape: "cluster: count per tenant",
              sql: "SELECT tenant_slug, count(*) FROM dashboard.unmapped GROUP BY tenant_slug"),
    ]

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")

    func run() async throws {
        let db = try await Connection.connect(database)
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        print("dashboard benchmark: \(options.tenants) tenants × \(options.organizations) organizations × 2 products")
        let started = ContinuousClock.now
        try await DashboardData(tenants: options.tenants, organizations: options.organizations).generate(on: db)
        try await db.executeScript("VACUUM ANALYZE", name: "analyze")
        try await db.executeScript("CHECKPOINT", name: "checkpoint")
        print(String(format: "generated in %.0f s: ", (ContinuousClock.now - started).seconds) + (try await summary(on: db)))

        // A tenant whose latest run is under way (queued and running jobs), and one whose run is over.
        let tenants: [Int64] = [7, Int64(options.tenants * 4321 / 10_000)]
        print("per-tenant shapes: the slower of tenants \(tenants.map(String.init).joined(separator: " and ")); "
              + "median of \(options.repetitions) runs; planning + execution, server-side (EXPLAIN ANALYZE)\n")
        print("| view | query shape | rows | plan | execute, JIT off | execute, JIT on (default) | total, JIT off | goal < 100 ms |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        var over: [String] = []
        for shape in Self.shapes {
            let timing = try await worst(shape, tenants: tenants, on: db)
            let ok = timing.total < 100
            if !ok { over.append("\(shape.view) (\(shape.shape))") }
            print(String(format: "| %@ | %@ | %d | %.1f | %.1f | %.1f | %.1f | %@ |",
                         shape.view, shape.shape, timing.rows, timing.planning, timing.execution, timing.executionWithJIT,
                         timing.total, ok ? "ok" : "**over**"))
        }
        print(over.isEmpty ? "\nevery shape under 100 ms (JIT off)" : "\nover 100 ms (JIT off): " + over.joined(separator: ", "))
        try await backlog(tenants: tenants, on: db)
    }

    /// The moment after a scheduler tick queued every tenant's run: all jobs
    /// queued. The jobs not queued are deleted and inserted again, queued, in
    /// one statement each, as the tick inserts them (so each trigger on jobs
    /// fires once for the lot, as after a real tick). Right after (the new
    /// rows not yet marked all-visible, so index-only scans still read the
    /// table) and after a VACUUM (autovacuum's work on `jobs`, whose scale
    /// factor is 2 %).
    private func backlog(tenants: [Int64], on db: Connection) async throws {
        let started = ContinuousClock.now
        try await db.executeScript("""
            CREATE TEMP TABLE done_jobs AS SELECT * FROM jobs WHERE state <> 'queued';
            DELETE FROM jobs WHERE state <> 'queued';
            """, name: "take the jobs not queued")
        let queued = try await db.execute("""
            INSERT INTO jobs (tenant_id, job_id, kind, unique_key, run_id, priority, state, args, run_at, attempts, max_attempts, created_at)
            SELECT tenant_id, job_id, kind, unique_key, run_id, priority, 'queued', args, created_at, 0, max_attempts, created_at
            FROM done_jobs ORDER BY tenant_id, job_id
            """, name: "queue every job")
        try await db.executeScript("ANALYZE jobs", name: "analyze")
        let mismatches = try await db.query("SELECT count(*)::int AS n FROM tally_queued_count_mismatches()")[0].decode("n", as: Int.self)
        print(String(format: "\nbacklog: %d more jobs queued (every job queued) in %.0f s; queued counts off in %d runs; JIT off, median of %d",
                     queued, (ContinuousClock.now - started).seconds, mismatches, options.repetitions))
        let shapes = Self.shapes.filter { ["queue", "tenants", "runs"].contains($0.view) }
        var right: [Timing] = []
        for shape in shapes { right.append(try await worst(shape, tenants: tenants, on: db)) }
        try await db.executeScript("VACUUM ANALYZE jobs, queued_job_counts", name: "vacuum")
        print("\n| view | query shape | rows | total, right after | total, after VACUUM |")
        print("|---|---|---:|---:|---:|")
        for (shape, before) in zip(shapes, right) {
            let after = try await worst(shape, tenants: tenants, on: db)
            print(String(format: "| %@ | %@ | %d | %.1f | %.1f |", shape.view, shape.shape, after.rows, before.total, after.total))
        }
    }

    private func worst(_ shape: Shape, tenants: [Int64], on db: Connection) async throws -> Timing {
        var worst: Timing?
        for tenant in shape.perTenant ? tenants : [0] {
            let timing = try await measure(shape.sql.replacingOccurrences(of: "$TENANT", with: String(tenant)), on: db)
            if worst == nil || timing.total > worst!.total { worst = timing }
        }
        return worst!
    }

    struct Timing {
        var rows: Int
        var planning: Double
        var execution: Double
        var executionWithJIT: Double
        var total: Double { planning + execution }
    }

    private func measure(_ sql: String, on db: Connection) async throws -> Timing {
        func runs(jit: Bool) async throws -> [(rows: Int, planning: Double, execution: Double)] {
            try await db.execute(jit ? "SET jit = on" : "SET jit = off")
            var result: [(Int, Double, Double)] = []
            for _ in 0..<options.repetitions {
                let text: String = try await db.query(SQL("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters: []))[0].decode(at: 0)
                let plan = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
                guard let top = plan?.first, let execution = top["Execution Time"] as? Double,
                      let planning = top["Planning Time"] as? Double, let rows = (top["Plan"] as? [String: Any])?["Actual Rows"] as? Int
                else { throw BenchError("unexpected EXPLAIN output: \(text.prefix(200))") }
                result.append((rows, planning, execution))
            }
            return result
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let off = try await runs(jit: false)
        let on = try await runs(jit: true)
        try await db.execute("RESET jit")
        return Timing(rows: off[0].rows, planning: median(off.map(\.planning)), execution: median(off.map(\.execution)),
                      executionWithJIT: median(on.map(\.execution)))
    }

    private func summary(on db: Connection) async throws -> String {
        let row = try await db.query("""
            SELECT (SELECT count(*) FROM tenants)::int AS tenants, (SELECT count(*) FROM organizations)::int AS organizations,
                   (SELECT count(*) FROM runs)::int AS runs, (SELECT count(*) FROM jobs)::int AS jobs,
                   (SELECT count(*) FROM results)::int AS results, (SELECT count(*) FROM autotask_request_counts)::int AS counts,
                   (SELECT string_agg(state || ' ' || n, ', ' ORDER BY n DESC)
                    FROM (SELECT state, count(*) AS n FROM jobs GROUP BY state) s) AS states,
                   (SELECT count(*) FROM results WHERE outcome <> 'succeeded' AND finished_at > now() - interval '24 hours')::int AS problems,
                   (SELECT count(*) FROM jobs WHERE finished_at > now() - interval '1 hour')::int AS last_hour
            """)[0]
        func n(_ column: String) throws -> String { try row.decode(column, as: Int.self).formatted() }
        return "\(try n("tenants")) tenants, \(try n("organizations")) organizations, \(try n("runs")) runs, "
            + "\(try n("jobs")) jobs (\(try row.decode("states", as: String.self))), \(try n("results")) results "
            + "(\(try n("problems")) not succeeded in the last 24 h), \(try n("last_hour")) jobs finished in the last hour, "
            + "\(try n("counts")) request-count rows"
    }
}
