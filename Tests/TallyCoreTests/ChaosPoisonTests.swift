import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 9, scenario 7: poison input among a tenant run. Sync jobs with
/// malformed arguments fail at once with a message; a job whose handler
/// kills its worker process (`CrashKind`, known to `tally-bench worker` only)
/// ends `failed` after its attempts (each crash's
/// worker restarted, as a supervisor would); every other job succeeds, each
/// change written once.
@Suite(.serialized)
struct ChaosPoisonTests {
    static let malformed = [
        #"{"organization_id": "seven", "product": "edr"}"#,
        #"{"product": "edr"}"#,
        #"{"organization_id": 1, "product": 42}"#,
        #"{"organization_id": 123456789012345678901234567890, "product": "edr"}"#,
    ]

    @Test func poisonJobsFailWithAMessageAndTheClusterKeepsWorking() async throws {
        try await SyncFixture.with(tenants: 3, organizations: 10) { fixture in
            let connection = fixture.connection
            let state = fixture.simulator.state
            let needed = try await fixture.makeEverySyncAChange(faults: "latency=50")
            for (index, arguments) in Self.malformed.enumerated() {
                try await connection.execute("""
                    INSERT INTO jobs (tenant_id, kind, unique_key, args, priority)
                    VALUES (\(fixture.tenantIDs[0]), 'sync', \("poison-\(index)"), \(arguments)::jsonb, 10)
                    """)
            }
            try await connection.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args, priority, max_attempts)
                VALUES (\(fixture.tenantIDs[1]), \(CrashKind.name), 'crash', '{}', 10, 3)
                """)
            let arguments = ["--concurrency", "4", "--batch-size", "5", "--lease-seconds", "2", "--retry-base-seconds", "0.2"]
            var workers = try fixture.startWorkers(3, arguments: arguments, executable: Fixtures.benchExecutable)
            _ = try await fixture.syncNowAll()

            // A supervisor: a worker that exits is started again.
            var restarts = 0
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline,
                  try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", on: connection) > 0 {
                for index in workers.indices where !workers[index].process.isRunning {
                    restarts += 1
                    workers[index] = try WorkerProcess(
                        fixture.configuration, arguments: arguments, environment: fixture.workerEnvironment,
                        executable: Fixtures.benchExecutable)
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(5)))
            await state.setFaults(FaultSpec())

            let poison = try await connection.query("""
                SELECT unique_key, state, attempts, coalesce(last_error, '') AS error FROM jobs
                WHERE unique_key LIKE 'poison-%' ORDER BY unique_key
                """)
            #expect(poison.count == Self.malformed.count)
            for row in poison {
                let key: String = try row.decode("unique_key"), error: String = try row.decode("error")
                #expect(try row.decode("state", as: String.self) == "failed", "\(key): \(error)")
                // It fails on the first run that reaches its handler; a crash of
                // its worker (the crashing job's 3 attempts) may cut runs before that.
                #expect(try row.decode("attempts", as: Int.self) <= 1 + 3, "\(key) failed at once")
                #expect(error.contains("arguments are malformed"), "\(key): \(error)")
            }
            let crash = try await connection.query("""
                SELECT state, attempts, coalesce(last_error, '') AS error FROM jobs WHERE unique_key = 'crash'
                """)[0]
            let crashError: String = try crash.decode("error")
            #expect(try crash.decode("state", as: String.self) == "failed", "\(crashError)")
            #expect(try crash.decode("attempts", as: Int.self) == 3)
            #expect(crashError.contains("its worker stopped while running it"), "\(crashError)")
            // One crash per attempt, plus one if its first crash came in a batch of
            // several (that crash charges no job, sql/015), nothing else.
            #expect((3...4).contains(restarts), "\(restarts) restarts")

            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results WHERE outcome = 'succeeded'", on: connection) == 60)
            let audit = try await AdjustmentAudit.audit(tenantIDs: fixture.tenantIDs, needed: needed, simulator: state, on: connection)
            #expect(audit.lost == 0 && audit.doubled == 0, "\(audit)")
            #expect(workers.allSatisfy { $0.process.isRunning })
            await workers.stopAll()
        }
    }
}
