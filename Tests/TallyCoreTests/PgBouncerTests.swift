import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// Workers, the scheduler and the CLI through PgBouncer (issue 21): session
/// mode works — LISTEN/NOTIFY wakes idle workers, the write locks hold, every
/// contract ends at its usage with one adjustment per change; transaction
/// mode is refused at start with a message that says what to change.
@Suite(.serialized)
struct PgBouncerTests {
    @Test func workersSchedulerAndCLIWorkThroughPgBouncerInSessionMode() async throws {
        try await SyncFixture.with(tenants: 3, organizations: 10) { direct in
            let bouncer = try PgBouncer(mode: "session", server: try TestDatabase.serverConfiguration())
            defer { bouncer.stop() }
            let fixture = SyncFixture(
                simulator: direct.simulator, configuration: bouncer.route(direct.configuration), connection: direct.connection,
                tenantIDs: direct.tenantIDs, organizations: direct.organizations)
            let needed = try await direct.mismatches().count
            #expect(needed > 0)
            // Idle workers look for work only every 60 s: a run done sooner was woken by NOTIFY.
            let workers = try fixture.startWorkers(2, arguments: ["--concurrency", "3", "--batch-size", "5", "--poll-seconds", "60"])
            let scheduler = try WorkerProcess(fixture.configuration, command: "scheduler", arguments: ["--tick-seconds", "0.5"])
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN%'
                """, toBe: 2, on: direct.connection, timeout: .seconds(30)), "\(workers.map(\.log))")

            let cli = TallyCLI(fixture)
            let started = ContinuousClock.now
            for slug in ["msp-1", "msp-2", "msp-3"] {
                let sync = try cli.run(["sync", slug, "--wait", "--timeout-seconds", "50"])
                #expect(sync.status == 0, "\(sync.output)\(sync.error)")
            }
            #expect(ContinuousClock.now - started < .seconds(45), "woken by NOTIFY, not by the 60 s poll")
            #expect(try await direct.mismatches() == [])
            #expect(await direct.tallyAdjustments().count == needed, "one adjustment per change")

            // For README's sizing: the server sessions each kind of process holds after a run.
            let sessions = try await direct.connection.query("""
                SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1
                """)
            let counts = try sessions.map { "\(try $0.decode("name", as: String.self)): \(try $0.decode("n", as: Int.self))" }
            print("through PgBouncer (session mode), server sessions after a run, 2 workers (--concurrency 3) and a scheduler: "
                + counts.joined(separator: ", "))

            // The scheduler works through it too: a tenant made due gets its run.
            let tenant = direct.tenantIDs[0]
            try await direct.connection.execute("""
                UPDATE tenants SET schedule_kind = 'daily', time_zone = 'UTC',
                       schedule_time = (now() AT TIME ZONE 'UTC' - interval '1 second')::time
                WHERE tenant_id = \(tenant)
                """)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM runs WHERE tenant_id = \(tenant) AND trigger = 'daily'",
                toBe: 1, on: direct.connection, timeout: .seconds(30)), "\(scheduler.log)")
            scheduler.signal(SIGTERM)
            #expect(await scheduler.waitForExit(timeout: .seconds(10)) == 0)
            await workers.stopAll()
            #expect(workers.allSatisfy { $0.process.terminationStatus == 0 }, "\(workers.map(\.log))")
        }
    }

    /// A session pool with one server: the check's second session gets none
    /// while the first holds it, which says nothing against session mode; the
    /// command goes on after the wait instead of hanging or refusing (review).
    @Test func aSessionPoolOfOneServerPassesTheCheck() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { direct in
            let bouncer = try PgBouncer(mode: "session", server: try TestDatabase.serverConfiguration(), poolSize: 1)
            defer { bouncer.stop() }
            let routed = bouncer.route(direct.configuration)
            let started = ContinuousClock.now
            let connection = try await Connection.connect(routed)
            try await SessionPinning.verify(connection, configuration: routed, wait: .seconds(2))
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func transactionModeIsRefusedAtStartWithWhatToChange() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { direct in
            let bouncer = try PgBouncer(mode: "transaction", server: try TestDatabase.serverConfiguration())
            defer { bouncer.stop() }
            let routed = bouncer.route(direct.configuration)
            let worker = try WorkerProcess(routed, arguments: ["--concurrency", "2"], environment: direct.workerEnvironment)
            let scheduler = try WorkerProcess(routed, command: "scheduler", arguments: ["--tick-seconds", "0.5"])
            for process in [worker, scheduler] {
                let status = await process.waitForExit(timeout: .seconds(20))
                #expect(status != nil && status != 0, "\(process.log)")
                #expect(process.log.contains("pool_mode = session"), "\(process.log)")
            }
            var cli = TallyCLI(direct)
            cli.environment["DATABASE_URL"] = Fixtures.url(routed)
            let status = try cli.run(["status", "msp-1"])
            #expect(status.status != 0)
            #expect(status.error.contains("transaction or statement mode"), "\(status.error)")
        }
    }
}
