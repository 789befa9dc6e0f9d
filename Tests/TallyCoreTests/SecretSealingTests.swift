import Crypto
import Foundation
import Postgres
@testable import TallyCore
import TestSupport
import Testing

/// Secrets are bound to their tenant, keys may be held two at a time, and
/// the key stays out of files others can read, the environment and core
/// files (issue 18).
@Suite("Secret sealing", .serialized)
struct SecretSealingTests {
    static let oldText = SecretKey.generate()
    static let newText = SecretKey.generate()

    func sealed(_ tenant: Int64, _ kind: String = "autotask_secret", on db: Connection) async throws -> (Data, String, Bool) {
        let row = try await db.query("SELECT sealed, key_id, bound FROM tenant_secrets WHERE tenant_id = \(tenant) AND kind = \(kind)")[0]
        return (try row.decode("sealed"), try row.decode("key_id"), try row.decode("bound"))
    }

    @Test func aSecretCopiedToAnotherTenantsRowDoesNotOpen() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let key = try SecretKey(base64: Self.oldText)
            let ids = try await SimulatedTenants.onboard(count: 2, organizations: 1, secretKey: key, on: db)
            #expect(try await TenantSecrets.load(.autotaskSecret, tenantID: ids[1], key: key, on: db) == "secret-db2")
            try await db.execute("""
                UPDATE tenant_secrets SET sealed = (SELECT sealed FROM tenant_secrets WHERE tenant_id = \(ids[0]) AND kind = 'autotask_secret')
                WHERE tenant_id = \(ids[1]) AND kind = 'autotask_secret'
                """)
            let error = try await #require(throws: SecretError.self) {
                try await TenantSecrets.load(.autotaskSecret, tenantID: ids[1], key: key, on: db)
            }
            #expect(error == .corrupt)
            // Claiming it was never bound does not help: its tag covers the binding.
            try await db.execute("UPDATE tenant_secrets SET bound = false WHERE tenant_id = \(ids[1])")
            await #expect(throws: SecretError.corrupt) { try await TenantSecrets.load(.autotaskSecret, tenantID: ids[1], key: key, on: db) }
        }
    }

    @Test func aSecretSealedBeforeBindingStillOpensAndAWorkerBindsItUnderItsOwnKey() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let old = try SecretKey(base64: Self.oldText)
            let tenant = try await SimulatedTenants.onboard(count: 1, organizations: 1, secretKey: old, on: db)[0]
            // As the binary before sql/014 sealed it: no associated data, bound false.
            let legacy = try AES.GCM.seal(Data("legacy-secret".utf8), using: SymmetricKey(data: Data(base64Encoded: Self.oldText)!)).combined!
            try await db.execute("UPDATE tenant_secrets SET sealed = \(legacy), bound = false WHERE tenant_id = \(tenant) AND kind = 'autotask_secret'")
            let both = try SecretKey(base64: "\(Self.newText),\(Self.oldText)")
            #expect(try await TenantSecrets.load(.autotaskSecret, tenantID: tenant, key: both, on: db) == "legacy-secret")

            #expect(try await TenantSecrets.bindLegacy(key: both, on: db) == 1)
            let (_, keyID, bound) = try await sealed(tenant, on: db)
            #expect(bound && keyID == old.id, "bound under the key it had, not moved to the worker's sealing key")
            #expect(try await TenantSecrets.load(.autotaskSecret, tenantID: tenant, key: old, on: db) == "legacy-secret")
            #expect(try await TenantSecrets.bindLegacy(key: both, on: db) == 0)
        }
    }

    @Test func aKeyFileOpenToOthersOrOwnedByAnotherUserIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-key-\(UUID())")
        try Self.oldText.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = ["TALLY_SECRET_KEY_FILE": file.path]
        chmod(file.path, 0o644)
        #expect(throws: SecretError.exposedKeyFile(path: file.path, problem: "is open to group or others (mode 644): chmod 600 \(file.path)")) {
            try SecretKey.fromEnvironment(environment)
        }
        chmod(file.path, 0o600)
        #expect(try SecretKey.fromEnvironment(environment).id == SecretKey(base64: Self.oldText).id)
        // Kubernetes' fsGroup: readable by a group of this process, mode 0440.
        chown(file.path, geteuid(), getegid())
        chmod(file.path, 0o440)
        #expect(try SecretKey.fromEnvironment(environment).id == SecretKey(base64: Self.oldText).id)
        chmod(file.path, 0o460)
        #expect(throws: SecretError.exposedKeyFile(path: file.path, problem: "is open to group or others (mode 460): chmod 600 \(file.path)")) {
            try SecretKey.fromEnvironment(environment)
        }
        chmod(file.path, 0o600)
        if geteuid() == 0 {
            chown(file.path, 65534, 65534)
            #expect(throws: SecretError.exposedKeyFile(
                path: file.path, problem: "belongs to uid 65534, not to this process's user (uid 0) or root: chown it to the user Tally runs as")) {
                try SecretKey.fromEnvironment(environment)
            }
        }
    }

    /// The worker takes TALLY_SECRET_KEY out of its environment (what
    /// /proc/PID/environ shows, what a child would inherit) and sets its core
    /// file limit to 0 once it has read the key.
    @Test func aWorkerScrubsTheKeyFromItsEnvironmentAndWritesNoCoreFile() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let worker = try WorkerProcess(
                fixture.configuration, arguments: ["--concurrency", "1"], environment: fixture.workerEnvironment, executable: Fixtures.tallyExecutable)
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(20)) { worker.log.contains("worker started") }, "\(worker.log)")
            let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(worker.pid)/environ"))
            #expect(environ.range(of: Data(SyncFixture.secretKeyText.utf8)) == nil)
            #expect(environ.range(of: Data("TALLY_SECRET_KEY=".utf8)) == nil)
            let limits = try String(contentsOfFile: "/proc/\(worker.pid)/limits", encoding: .utf8)
            #expect(limits.contains(/Max core file size\s+0\s+0/), "\(limits)")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
        #expect(tally_forbids_core_dumps_after_call())
    }

    /// Workers given "NEW,OLD" keep syncing while `secrets rekey` moves every
    /// secret to NEW: no job fails, before, during or after (issue 18).
    @Test func aRekeyWhileWorkersSyncFailsNoJob() async throws {
        try await SyncFixture.with(tenants: 4, organizations: 10) { fixture in
            let db = fixture.connection
            var environment = fixture.workerEnvironment
            environment["TALLY_SECRET_KEY"] = "\(Self.newText),\(SyncFixture.secretKeyText)"
            let workers = try (0..<2).map { _ in
                try WorkerProcess(fixture.configuration, arguments: ["--concurrency", "4", "--retry-base-seconds", "0.2"],
                                  environment: environment, executable: Fixtures.tallyExecutable)
            }
            _ = try await fixture.makeEverySyncAChange()
            for tenant in fixture.tenantIDs { _ = try await Runs.syncNow(tenantID: tenant, refresh: false, on: db) }
            let unfinished = try await db.query("SELECT count(*)::int AS n FROM jobs WHERE finished_at IS NULL")[0].decode("n", as: Int.self)
            let rekey = try TallyCLI(fixture).run(
                ["secrets", "rekey", "--new-key-env", "TALLY_NEW_KEY"], environment: ["TALLY_NEW_KEY": Self.newText])
            #expect(rekey.status == 0, "\(rekey.error)")
            let rekeyedTo = try SecretKey(base64: Self.newText).id
            #expect(rekey.output.contains("re-sealed 4 secrets with key \(rekeyedTo) (0 were under it already)"), "\(rekey.output)")
            #expect(unfinished > 0, "the rekey ran after every job had finished: it proves nothing about jobs during it")
            // And a round after it, every secret under the new key.
            _ = try await fixture.makeEverySyncAChange()
            for tenant in fixture.tenantIDs { _ = try await Runs.syncNow(tenantID: tenant, refresh: false, on: db) }
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM jobs WHERE finished_at IS NULL", toBe: 0, on: db,
                                               timeout: .seconds(60)), "\(workers.map(\.log))")
            let states = try await db.query("SELECT state, count(*)::int AS n FROM jobs WHERE kind = 'sync' GROUP BY state ORDER BY state")
                .map { "\(try $0.decode("state", as: String.self)): \(try $0.decode("n", as: Int.self))" }
            #expect(states == ["succeeded: 160"])
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE kind <> 'sync' AND state <> 'succeeded'", on: db) == 0,
                    "the audit notes' jobs opened the secrets too")
            let keys = try await db.query("SELECT DISTINCT key_id, bound FROM tenant_secrets")
            let newID = try SecretKey(base64: Self.newText).id
            let keyIDs = try keys.map { try $0.decode("key_id", as: String.self) }
            #expect(keyIDs == [newID])
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers { #expect(await worker.waitForExit() == 0) }
        }
    }

    /// A worker that lacks the key a secret is under retries the job (a
    /// rotation under way), and a worker that holds it then succeeds.
    @Test func aWorkerLackingTheKeyRetriesInsteadOfFailing() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let db = fixture.connection
            var environment = fixture.workerEnvironment
            environment["TALLY_SECRET_KEY"] = Self.newText
            let lacking = try WorkerProcess(fixture.configuration, arguments: ["--concurrency", "1", "--retry-base-seconds", "0.2"],
                                            environment: environment, executable: Fixtures.tallyExecutable)
            _ = try await fixture.makeEverySyncAChange()
            _ = try await Runs.syncNow(tenantID: fixture.tenantIDs[0], refresh: false, on: db)
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND last_error LIKE '%sealed with key%'
                """, toBe: 2, on: db, timeout: .seconds(20)), "\(lacking.log)")
            #expect(try await db.query("SELECT count(*)::int AS n FROM jobs WHERE state = 'failed'")[0].decode("n", as: Int.self) == 0)
            lacking.signal(SIGTERM)
            #expect(await lacking.waitForExit() == 0)
            let holding = try fixture.startWorkers(1)[0]
            // The sync jobs only: their audit notes' jobs succeed too, and the
            // count could pass 2 between two looks.
            #expect(try await Fixtures.waitFor("SELECT count(*)::int AS n FROM jobs WHERE kind = 'sync' AND state = 'succeeded'", toBe: 2,
                                               on: db, timeout: .seconds(60)), "\(holding.log)")
            holding.signal(SIGTERM)
            #expect(await holding.waitForExit() == 0)
        }
    }

    func tally_forbids_core_dumps_after_call() -> Bool {
        // The same call the worker makes, in this process: PR_GET_DUMPABLE reads 0 after it.
        SecretKey.forbidCoreDumps()
        return coreDumpsForbidden()
    }
}
