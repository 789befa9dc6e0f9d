import Foundation
import Postgres
import TestSupport
import Testing

/// The built `tally status` over `DashboardFixture`.
@Suite("tally status")
struct StatusCommandTests {
    /// Runs `tally status ARGUMENTS`; answers its exit status and output (stdout and stderr).
    private func status(_ arguments: [String], _ configuration: ConnectionConfiguration) async throws -> (Int32?, String) {
        let process = try WorkerProcess(configuration, command: "status", arguments: arguments)
        let exit = await process.waitForExit(timeout: .seconds(30))
        return (exit, process.log)
    }

    @Test func theClusterOverviewNamesTenantsOutcomesAndFixes() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let (exit, output) = try await status([], configuration)
            #expect(exit == 0, "\(output)")
            for expected in ["Tenants (3)", "acme", "Acme MSP", "daily at 02:00", "failed", "running", "globex",
                             "host-b", "STALE", "service_not_on_contract", "add the product's service to the organization's contract in Autotask",
                             "Last 60 minutes: 5 jobs finished (1 succeeded, 2 failed)", "550 Autotask requests"] {
                #expect(output.contains(expected), "no “\(expected)” in:\n\(output)")
            }
        }
    }

    @Test func aTenantShowsItsSyncStatusRunsQueueAndFailures() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let (exit, output) = try await status(["acme"], configuration)
            #expect(exit == 0, "\(output)")
            for expected in ["acme: Acme MSP", "Alpha (1)", "succeeded", "set to 25 agents (was 20) by adjustment 5001",
                             "held", "Runs (latest 2)", "1 held", "guard_drop", "tally map contract acme 4 CONTRACT_ID"] {
                #expect(output.contains(expected), "no “\(expected)” in:\n\(output)")
            }
            #expect(!output.contains("Omega"))
        }
    }

    @Test func runsListTriggerDueTimeOutcomesAndUnitsChanged() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let process = try WorkerProcess(configuration, command: "runs", arguments: ["acme", "--last", "5"])
            #expect(await process.waitForExit(timeout: .seconds(30)) == 0, "\(process.log)")
            let lines = process.log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let header = try #require(lines.first { $0.hasPrefix("RUN") }, "\(process.log)")
            for column in ["TRIGGER", "DUE", "STARTED", "DURATION", "STATE", "ADJUSTMENTS", "UNITS"] {
                #expect(header.contains(column), "\(header)")
            }
            // Run 2 posted adjustment 5001 (20 → 25 agents); run 1 changed nothing.
            let second = try #require(lines.first { $0.hasPrefix("2 ") }, "\(process.log)")
            #expect(second.contains("+5 / −0"), "\(second)")
            let first = try #require(lines.first { $0.hasPrefix("1 ") }, "\(process.log)")
            #expect(!first.contains("+"), "\(first)")

            let json = try WorkerProcess(configuration, command: "runs", arguments: ["acme", "--json"])
            #expect(await json.waitForExit(timeout: .seconds(30)) == 0, "\(json.log)")
            #expect(json.log.contains("\"unitsAdded\" : 5"), "\(json.log)")

            let unknown = try WorkerProcess(configuration, command: "runs", arguments: ["nobody"])
            #expect(await unknown.waitForExit(timeout: .seconds(30)) == 65, "\(unknown.log)")
        }
    }

    @Test func changesListWhatTheLastRunChanged() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let (exit, output) = try await status(["acme", "--changes"], configuration)
            #expect(exit == 0, "\(output)")
            for expected in ["run 2", "1 adjustment", "Alpha (1)", "(edr)", "20", "25 agents", "+5", "5001"] {
                #expect(output.contains(expected), "no “\(expected)” in:\n\(output)")
            }
            #expect(!output.contains("Sync status"), "--changes prints the changes alone:\n\(output)")
            let (refused, text) = try await status(["--changes"], configuration)
            #expect(refused == 64, "\(text)")
            #expect(text.contains("--changes needs a tenant"), "\(text)")
        }
    }

    @Test func aLoginWithTheDashboardRoleAloneCanRunIt() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let reader = "status_reader_\(UUID().uuidString.prefix(8).lowercased())"
            try await db.executeScript("CREATE ROLE \(reader) LOGIN IN ROLE tally_dashboard", name: "reader")
            var url = URLComponents(string: Fixtures.url(configuration))!
            url.user = reader
            url.password = nil
            let process = try WorkerProcess(
                configuration, command: "status", arguments: ["acme"], environment: ["DATABASE_URL": url.string!])
            #expect(await process.waitForExit(timeout: .seconds(30)) == 0, "\(process.log)")
            #expect(process.log.contains("acme: Acme MSP"), "\(process.log)")
            let unknown = try WorkerProcess(
                configuration, command: "status", arguments: ["nobody"], environment: ["DATABASE_URL": url.string!])
            #expect(await unknown.waitForExit(timeout: .seconds(30)) == 65, "\(unknown.log)")
            try await db.executeScript("DROP ROLE \(reader)", name: "drop reader")
        }
    }

    @Test func jsonParses() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let (clusterExit, cluster) = try await status(["--json"], configuration)
            #expect(clusterExit == 0, "\(cluster)")
            let clusterJSON = try #require(try JSONSerialization.jsonObject(with: Data(cluster.utf8)) as? [String: Any])
            #expect(Set(clusterJSON.keys) == ["tenants", "queue", "workers", "failures", "throughput"])
            let tenants = try #require(clusterJSON["tenants"] as? [[String: Any]])
            #expect(tenants.compactMap { $0["slug"] as? String } == ["acme", "globex", "initech"])
            #expect(tenants.first?["lastRunState"] as? String == "failed")

            let (tenantExit, tenant) = try await status(["globex", "--json"], configuration)
            #expect(tenantExit == 0, "\(tenant)")
            let tenantJSON = try #require(try JSONSerialization.jsonObject(with: Data(tenant.utf8)) as? [String: Any])
            let syncStatus = try #require(tenantJSON["syncStatus"] as? [[String: Any]])
            #expect(syncStatus.compactMap { $0["outcome"] as? String } == ["failed"])
            #expect((tenantJSON["queue"] as? [String: Any])?["deferred"] as? Int == 1)
        }
    }

    @Test func anUnknownTenantIsRefused() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let (exit, output) = try await status(["nobody"], configuration)
            #expect(exit == 65)
            #expect(output.contains("no tenant is named nobody"))
        }
    }
}
