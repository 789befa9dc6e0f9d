import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// `make demo`'s world and onboarding: the three MSPs onboarded by
/// scripts/demo-onboard (the tally command alone) against `tally-sim --demo`'s
/// world, synced by three worker processes, end with exactly the three
/// mistakes as failures, each saying what to fix.
@Suite(.serialized)
struct DemoTests {
    @Test func theDemoWorldHasThreeMSPsFortyCustomersAndThreeMistakes() throws {
        let today = SimDay(year: 2026, month: 3, day: 15)
        let world = DemoWorld.world(today: today)
        #expect(world.databases.map(\.name) == ["northwind", "contoso", "fabrikam"])
        #expect(world.databases.map(\.companies.count).reduce(0, +) == 40)
        let contracts = world.databases.flatMap(\.contracts)
        let services = world.databases.flatMap(\.contractServices)
        #expect(services.count == 2 * contracts.count - 1, "one contract lacks a service")
        #expect(contracts.filter { $0.endDate < today }.map(\.endDate) == [SimDay(year: 2026, month: 1, day: 31)], "one contract has ended")
        #expect(contracts.allSatisfy { $0.startDate < today && $0.contractType == 7 && $0.status == 1 })
        #expect(world.databases.flatMap(\.users).filter { $0.lacks == ["Contracts"] }.map(\.userName) == ["tally@fabrikam.example"])
        for msp in DemoWorld.msps {
            let csv = try #require(DemoWorld.usageCSV(msp.slug))
            #expect(csv.split(separator: "\n").count == 1 + 2 * msp.customers.count)
        }
    }

    @Test func theDemoSyncEndsWithExactlyTheThreeMistakesAsFailures() async throws {
        let simulator = try await SimServer.start(state: SimState(world: DemoWorld.world(), budgetLatencyMilliseconds: 0))
        await simulator.state.loadHuntress(DemoWorld.huntress())
        do {
            try await syncTheDemo(simulator)
            await simulator.stop()
        } catch {
            await simulator.stop()
            throw error
        }
    }

    func syncTheDemo(_ simulator: RunningSimulator) async throws {
        try await Fixtures.withMigratedDatabase { configuration, connection in
            let key = SecretKey.generate()
            let environment = [
                "DATABASE_URL": Fixtures.url(configuration), "TALLY_SECRET_KEY": key, "TALLY_AUTOTASK_URL": simulator.lookupURL,
                "TALLY_HUNTRESS_URL": simulator.huntressURL,
            ]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-demo-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // The workers run the onboarding's usage refreshes too.
            let workers = try (0..<3).map { _ in
                try WorkerProcess(configuration, arguments: ["--concurrency", "4"], environment: environment)
            }
            let onboard = try Self.onboard(environment: environment, directory: directory)
            #expect(onboard.status == 0, "\(onboard.output)")
            #expect(!onboard.output.contains("demo-northwind-secret"), "no secret on the terminal")
            #expect(!onboard.output.contains("demo-northwind-private"), "no Huntress key on the terminal")
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM organizations", on: connection) == 40)
            for id in try await connection.query("SELECT tenant_id FROM tenants ORDER BY tenant_id").map({ try $0.decode("tenant_id", as: Int64.self) }) {
                _ = try await Runs.syncNow(tenantID: id, on: connection)
            }
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')", toBe: 0, on: connection, timeout: .seconds(120)))
            await workers.stopAll()

            let rows = try await connection.query("""
                SELECT t.slug, o.name, r.product, r.outcome, coalesce(r.reason_code, '') AS reason, coalesce(r.message, '') AS message
                FROM results r JOIN tenants t USING (tenant_id) JOIN organizations o USING (tenant_id, organization_id)
                ORDER BY t.slug, o.name, r.product
                """)
            #expect(rows.count == 80)
            var failures: [String] = []
            var succeeded = 0
            for row in rows {
                let outcome: String = try row.decode("outcome")
                if outcome == "succeeded" { succeeded += 1; continue }
                let message: String = try row.decode("message")
                failures.append("\(try row.decode("slug", as: String.self)) \(try row.decode("name", as: String.self)) \(try row.decode("product", as: String.self)) \(outcome) \(try row.decode("reason", as: String.self))")
                #expect(message.contains("in Autotask"), "a message that says what to fix: \(message)")
            }
            let fabrikam = DemoWorld.msps[2].customers.flatMap { ["fabrikam \($0) edr failed missing_permission", "fabrikam \($0) m365 failed missing_permission"] }
            #expect(failures.sorted() == ([
                "contoso Riverside Veterinary edr failed contract_expired",
                "contoso Riverside Veterinary m365 failed contract_expired",
                "northwind Harbor Dental Group, Inc. m365 failed service_not_on_contract",
            ] + fabrikam).sorted())
            #expect(succeeded == 80 - 3 - 22)
        }
    }

    /// Runs scripts/demo-onboard with the built executables; answers its status and output.
    static func onboard(environment: [String: String], directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = Fixtures.packageRoot.appendingPathComponent("scripts/demo-onboard")
        process.currentDirectoryURL = Fixtures.packageRoot
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["TALLY"] = Fixtures.tallyExecutable.path
        env["TALLY_SIM"] = Fixtures.tallyExecutable.deletingLastPathComponent().appendingPathComponent("tally-sim").path
        env["DEMO_DIR"] = directory.path
        process.environment = env
        let log = directory.appendingPathComponent("onboard.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
