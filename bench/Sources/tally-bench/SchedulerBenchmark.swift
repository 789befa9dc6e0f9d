import Foundation
import Postgres
import TallyCore

/// One scheduler tick over many due tenants: how long creating their runs
/// and jobs takes (`Scheduler.tick`, the statement `tally scheduler` runs).
struct SchedulerBenchmark {
    struct Options {
        var tenants = 10_000
        /// Per tenant; each is mapped to both products, so targets = 2 × organizations.
        var organizations = 50
    }

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")

    func run() async throws {
        let db = try await Connection.connect(database)
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        try await db.executeScript("TRUNCATE tenants CASCADE", name: "reset")
        let products = try await db.query("SELECT count(*)::int AS n FROM products")[0].decode("n", as: Int.self)
        print("scheduler benchmark: \(options.tenants) tenants × \(options.organizations) organizations × \(products) products, all due")

        let generated = ContinuousClock.now
        // Daily at 00:00 UTC, created two days ago: every tenant is due now.
        try await db.execute("""
            INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, schedule_time, created_at)
            SELECT 'bench-' || g, 'Bench ' || g, 'api' || g || '@bench.example', 'CODE', '00:00', now() - interval '2 days'
            FROM generate_series(1, \(options.tenants)) g
            """, name: "generate tenants")
        try await db.execute("""
            INSERT INTO organizations (tenant_id, organization_id, name)
            SELECT t.tenant_id, g, 'Organization ' || g FROM tenants t, generate_series(1, \(options.organizations)) g
            """, name: "generate organizations")
        try await db.execute("""
            INSERT INTO service_mappings (tenant_id, product, service_id)
            SELECT t.tenant_id, p.product, 1000 + row_number() OVER (PARTITION BY t.tenant_id ORDER BY p.product)
            FROM tenants t, products p
            """, name: "generate service mappings")
        try await db.executeScript("VACUUM ANALYZE", name: "analyze")
        try await db.executeScript("CHECKPOINT", name: "checkpoint")
        let targets = try await db.query("SELECT count(*)::int AS n FROM sync_targets")[0].decode("n", as: Int.self)
        print(String(format: "generated %d targets in %.1f s", targets, (ContinuousClock.now - generated).seconds))

        let started = ContinuousClock.now
        let tick = try await Scheduler.tick(on: db)
        let seconds = (ContinuousClock.now - started).seconds
        print(String(format: "one tick: %d runs, %d jobs in %.1f s: %.0f jobs/s (goal: under 30 s)",
                     tick.runs, tick.jobs, seconds, Double(tick.jobs) / seconds))

        let idleStarted = ContinuousClock.now
        let idle = try await Scheduler.tick(on: db)
        print(String(format: "next tick (nothing due): %d runs, %d jobs in %.0f ms",
                     idle.runs, idle.jobs, (ContinuousClock.now - idleStarted).seconds * 1000))
        try await compareWithBaseline(on: db)
        let counted = try await db.query("""
            SELECT (SELECT count(*) FROM runs)::int AS runs, (SELECT count(*) FROM jobs)::int AS jobs,
                   (SELECT sum(job_count) FROM runs)::int AS job_counts,
                   (SELECT count(*) FROM queue_tenants WHERE ready_at IS NOT NULL)::int AS ready_tenants
            """)[0]
        print("check: \(try counted.decode("runs", as: Int.self)) runs, \(try counted.decode("jobs", as: Int.self)) jobs, "
              + "job_count sum \(try counted.decode("job_counts", as: Int.self)), "
              + "\(try counted.decode("ready_tenants", as: Int.self)) tenants ready for workers")
    }

    /// The tick against the statement it replaced (`SchedulerBaseline`), alternating
    /// twice on the same tenants, each after its runs and jobs were emptied.
    private func compareWithBaseline(on db: Connection) async throws {
        var ours: [Double] = [], baseline: [Double] = []
        for round in 0..<4 {
            try await db.executeScript("TRUNCATE jobs, runs CASCADE; CHECKPOINT", name: "empty runs and jobs")
            let started = ContinuousClock.now
            let jobs: Int
            if round % 2 == 0 {
                jobs = try await Scheduler.tick(on: db).jobs
                ours.append((ContinuousClock.now - started).seconds)
            } else {
                jobs = try await SchedulerBaseline.tick(on: db).jobs
                baseline.append((ContinuousClock.now - started).seconds)
            }
            guard jobs > 0 else { throw BaselineError() }
        }
        let line = { (values: [Double]) in values.map { String(format: "%.1f s", $0) }.joined(separator: ", ") }
        print("tick, alternating: Scheduler.tick \(line(ours)); baseline (the inline statement before issue 22) \(line(baseline))")
        print(String(format: "ratio Scheduler.tick / baseline (mean): %.2f", ours.reduce(0, +) / baseline.reduce(0, +)))
    }

    struct BaselineError: Error, CustomStringConvertible {
        var description: String { "a comparison tick created no jobs" }
    }
}
