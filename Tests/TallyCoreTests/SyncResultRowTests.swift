import Foundation
import Postgres
import TallyCore
import TallyQueue
import TestSupport
import Testing

/// Every way a sync job can end writes its one result row, in the statement that ends it.
@Suite struct SyncResultRowTests {
    private func syncJob(_ tenant: Int64, organization: Int64, key: String, maxAttempts: Int = 8) -> NewJob {
        NewJob(tenantID: tenant, kind: SyncKind.name, uniqueKey: key,
               arguments: "{\"organization_id\": \(organization), \"product\": \"edr\"}", maxAttempts: maxAttempts)
    }

    private func addOrganization(_ tenant: Int64, on db: Connection) async throws {
        try await db.execute("INSERT INTO organizations (tenant_id, organization_id, name) VALUES (\(tenant), 1, 'Alpha')")
    }

    /// The trigger the sync kind names is the one that writes results, and it fires for that kind's jobs.
    @Test func theResultTriggerIsTheOneSyncKindNames() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let rows = try await db.query("""
                SELECT pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t
                WHERE t.tgrelid = 'jobs'::regclass AND t.tgname = \(SyncKind.resultTrigger)
                """)
            try #require(rows.count == 1, "no trigger \(SyncKind.resultTrigger) on jobs")
            let definition: String = try rows[0].decode("definition")
            #expect(definition.contains("tally_record_sync_result"), "\(definition)")
            #expect(definition.contains("'\(SyncKind.name)'::text"), "\(definition)")
        }
    }

    @Test func aJobWhoseWorkerKeepsDyingEndsFailedWithAResult() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            try await addOrganization(tenant, on: db)
            _ = try await JobQueue.enqueue(syncJob(tenant, organization: 1, key: "dies", maxAttempts: 1), on: db)
            let claim = try await JobQueue.claim(worker: UUID(), task: 0, batchSize: 1, lease: .milliseconds(50), kinds: ["sync"], on: db)
            #expect(claim.jobs.count == 1)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await JobQueue.reclaimExpired(on: db) == 1)
            let rows = try await db.query("SELECT outcome, reason_code, message FROM results WHERE tenant_id = \(tenant)")
            try #require(rows.count == 1)
            #expect(try rows[0].decode("outcome", as: String.self) == "failed")
            #expect(try rows[0].decode("message", as: String.self).contains("its worker stopped while running it"))
        }
    }

    @Test func aCancelledQueuedJobHasACancelledResult() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            try await addOrganization(tenant, on: db)
            guard case .enqueued(let jobID) = try await JobQueue.enqueue(syncJob(tenant, organization: 1, key: "cancel"), on: db) else {
                Issue.record("not enqueued")
                return
            }
            #expect(try await JobQueue.cancel(tenantID: tenant, jobID: jobID, on: db) == .cancelled)
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM results WHERE outcome = 'cancelled' AND reason_code = 'cancelled'", on: db) == 1)
        }
    }

    @Test func malformedArgumentsFailTheJobWithoutAResult() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addTenants(caps: [1], on: db)[0]
            _ = try await JobQueue.enqueue(
                NewJob(tenantID: tenant, kind: "sync", uniqueKey: "bad", arguments: "{\"organization_id\": \"x\"}"), on: db)
            let worker = UUID()
            let claim = try await JobQueue.claim(worker: worker, task: 0, batchSize: 1, lease: .seconds(30), kinds: ["sync"], on: db)
            try #require(claim.jobs.count == 1)
            #expect(try await JobQueue.finish(claim.jobs[0], .finished(.failed, message: "malformed"), worker: worker, on: db))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE state = 'failed'", on: db) == 1)
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM results", on: db) == 0)
        }
    }
}
