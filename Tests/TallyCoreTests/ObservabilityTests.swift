import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Observability: /healthz, /readyz, /metrics and JSON logs", .serialized)
struct ObservabilityTests {
    static let endpointArguments = ["--metrics-port", "0", "--metrics-host", "127.0.0.1"]

    @Test func aWorkerCountsItsJobsByKindAndOutcomeAndLogsJSONLinesWithTheJobsIDs() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let tenant = try await Fixtures.addTenants(caps: [3], on: db)[0]
            try await db.execute("""
                INSERT INTO jobs (tenant_id, kind, unique_key, args)
                SELECT \(tenant), 'noop', 'job-' || n, CASE WHEN n % 10 = 0 THEN '{"fail": "permanent"}' ELSE '{}' END::jsonb
                FROM generate_series(1, 30) AS n
                """)
            let worker = try WorkerProcess(
                configuration, arguments: Self.endpointArguments + ["--kinds", "noop", "--poll-seconds", "0.2"],
                environment: ["LOG_FORMAT": "json", "LOG_LEVEL": "info"])
            let endpoint = try await ObservabilityEndpoint.of(worker)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('succeeded', 'failed')", toBe: 30, on: db), "\(worker.log)")

            #expect(try await endpoint.get("healthz") == (200, "ok\n"))
            let ready = try await TestDatabase.waitUntil(timeout: .seconds(15)) { try await endpoint.get("readyz").status == 200 }
            #expect(ready)
            #expect(try await endpoint.sample(TallyMetrics.jobsClaimed, ["kind": "noop"]) == 30)
            #expect(try await endpoint.sample(TallyMetrics.jobsEnded, ["kind": "noop", "outcome": "succeeded"]) == 27)
            #expect(try await endpoint.sample(TallyMetrics.jobsEnded, ["kind": "noop", "outcome": "failed"]) == 3)
            #expect(try await endpoint.sample(TallyMetrics.claimDuration + "_count") ?? 0 >= 1)
            #expect(try await endpoint.sample("process_resident_memory_bytes") ?? 0 > 1_000_000)
            // The health loop samples the queue every 5 s; every job has ended, so soon none is queued.
            let drained = try await TestDatabase.waitUntil(timeout: .seconds(15)) {
                try await endpoint.sample(TallyMetrics.queueJobs, ["state": "queued"]) == 0
            }
            #expect(drained)

            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
            let lines = worker.log.split(separator: "\n")
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count == lines.count, "every log line is one JSON object:\n\(worker.log)")
            let failures = objects.filter { $0["message"] as? String == "job failed" }
            #expect(failures.count == 3)
            for failure in failures {
                #expect(failure["tenant"] as? String == "\(tenant)")
                #expect(failure["job"] != nil && failure["kind"] as? String == "noop" && failure["level"] as? String == "info")
            }
        }
    }

    @Test func everyLineLoggedDuringASyncJobNamesItsTenantRunAndJobEvenTheAutotaskClients() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let worker = try WorkerProcess(
                fixture.configuration, arguments: ["--concurrency", "2"],
                environment: fixture.workerEnvironment.merging(["LOG_FORMAT": "json", "LOG_LEVEL": "debug"]) { $1 })
            let run = try await fixture.syncNowAll()[0]
            #expect(try await fixture.waitForQuietQueue(), "\(worker.log)")
            await [worker].stopAll()
            let requests = worker.log.split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["message"] as? String == "autotask request" }
            // Sync jobs' lines; the audit notes' jobs belong to no run (their run is in contract_notes).
            #expect(requests.contains { $0["kind"] as? String == "contract_note" && $0["run"] == nil && $0["job"] != nil })
            let syncRequests = requests.filter { $0["kind"] as? String == "sync" }
            #expect(syncRequests.count >= 3, "the batch read Contracts, ContractServices and units:\n\(worker.log)")
            for line in syncRequests {
                #expect(line["tenant"] as? String == "\(run.tenantID)" && line["run"] as? String == "\(run.runID)", "\(line)")
                #expect(line["job"] != nil && line["label"] as? String == "tally.worker", "\(line)")
            }
            #expect(!worker.log.contains(SyncFixture.secretKeyText))
        }
    }

    @Test func readinessFailsWhileTheDatabaseIsUnreachableAndLivenessDoesNot() async throws {
        try await TestDatabase.withFresh { configuration in
            // A port nobody listens on: the scheduler keeps retrying, alive but not ready.
            let scheduler = try WorkerProcess(
                configuration, command: "scheduler", arguments: Self.endpointArguments,
                environment: ["DATABASE_URL": "postgresql://tally@127.0.0.1:1/tally?connect_timeout=2"])
            defer { scheduler.signal(SIGKILL) }
            let endpoint = try await ObservabilityEndpoint.of(scheduler)
            #expect(try await endpoint.get("healthz").status == 200)
            let readiness = try await endpoint.get("readyz")
            #expect(readiness.status == 503)
            #expect(readiness.body.contains("database unreachable"), "\(readiness.body)")
            // Nothing of the DSN: not its host, port or user (issue 18).
            #expect(!readiness.body.contains("127.0.0.1") && !readiness.body.contains("tally@") && !readiness.body.contains(":1"),
                    "\(readiness.body)")
        }
    }

    @Test func aBadLogSettingIsRefusedAtStartWithWhatToUseInstead() async throws {
        try await TestDatabase.withFresh { configuration in
            let worker = try WorkerProcess(configuration, arguments: [], environment: ["LOG_FORMAT": "xml"])
            #expect(await worker.waitForExit() == 64)
            #expect(worker.log.contains("LOG_FORMAT 'xml' is not a format; use text or json"), "\(worker.log)")
            let scheduler = try WorkerProcess(configuration, command: "scheduler", arguments: ["--metrics-port", "http"])
            #expect(await scheduler.waitForExit() == 64)
            #expect(scheduler.log.contains("--metrics-port"), "\(scheduler.log)")
        }
    }
}
