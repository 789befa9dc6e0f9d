import Foundation
import Postgres
import TestSupport
import Testing

/// deploy/grafana and sql/dashboard.psql: they parse, and every query they
/// hold runs over the fixture with no more than tally_dashboard's rights.
@Suite("Dashboard deploy files")
struct DashboardDeployTests {
    static let grafana = Fixtures.packageRoot.appendingPathComponent("deploy/grafana")

    /// The dashboard's panels, rows flattened.
    private func panels() throws -> (dashboard: [String: Any], panels: [[String: Any]]) {
        let data = try Data(contentsOf: Self.grafana.appendingPathComponent("dashboards/tally.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let top = try #require(dashboard["panels"] as? [[String: Any]])
        let flat = top.flatMap { [$0] + (($0["panels"] as? [[String: Any]]) ?? []) }.filter { $0["type"] as? String != "row" }
        return (dashboard, flat)
    }

    @Test func everyGrafanaPanelQueriesTheViewsAndRunsAsTheDashboardRole() async throws {
        let (dashboard, panels) = try panels()
        #expect(panels.count >= 8)
        var queries: [(title: String, sql: String)] = []
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            #expect((panel["datasource"] as? [String: Any])?["uid"] as? String == "tally-postgres", "\(title)")
            let targets = try #require(panel["targets"] as? [[String: Any]], "\(title) has no targets")
            for target in targets {
                queries.append((title, try #require(target["rawSql"] as? String, "\(title) has no SQL")))
            }
        }
        let variables = try #require((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]])
        for variable in variables { queries.append(("variable", try #require(variable["query"] as? String))) }

        let viewName = try Regex("dashboard\\.([a-z_]+)")
        for (title, sql) in queries {
            let named = sql.matches(of: viewName).compactMap { $0.output[1].substring.map(String.init) }
            #expect(!named.isEmpty, "\(title) reads no dashboard view")
            #expect(Set(named).isSubset(of: DashboardFixture.views), "\(title) reads \(named)")
        }
        for panel in ["Queue depth by state (now)", "Jobs finished per minute", "Job run time percentiles (ms)",
                      "Autotask requests per minute", "Failures, held and skipped by reason (24 h)", "Sync status: $tenant"] {
            #expect(queries.contains { $0.title == panel }, "no panel “\(panel)”")
        }

        try await Fixtures.withMigratedDatabase { _, db in
            try await DashboardFixture.load(on: db)
            try await db.execute("SET ROLE tally_dashboard")
            for (title, sql) in queries {
                let rows = try await db.query(SQL(sql.replacingOccurrences(of: "$tenant", with: "1"), parameters: []))
                #expect(rows.count > 0, "\(title) answers no row over the fixture")
            }
        }
    }

    @Test(.enabled(if: Tools.python3WithYAML != nil, "needs python3 with PyYAML to read the provisioning files"))
    func theProvisioningFilesNameTheDashboardsDataSource() async throws {
        let read = { (path: String) throws -> [String: Any] in
            let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
            let run = try Tools.run(Tools.python3WithYAML!, ["-c", script, Self.grafana.appendingPathComponent(path).path])
            #expect(run.status == 0, "\(path): \(run.output)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        }
        let sources = try #require(try read("provisioning/datasources/tally.yaml")["datasources"] as? [[String: Any]])
        #expect(sources.map { $0["uid"] as? String } == ["tally-postgres"])
        let (_, panels) = try panels()
        #expect(sources.first?["type"] as? String == (panels.first?["datasource"] as? [String: Any])?["type"] as? String)
        let providers = try #require(try read("provisioning/dashboards/tally.yaml")["providers"] as? [[String: Any]])
        #expect((providers.first?["options"] as? [String: Any])?["path"] as? String == "/var/lib/grafana/dashboards/tally")
    }

    @Test(.enabled(if: Tools.psql != nil, "needs psql"))
    func thePsqlFileRunsAsALoginGrantedTheDashboardRole() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            try await DashboardFixture.load(on: db)
            let login = "dashboard_login_" + UUID().uuidString.prefix(8).lowercased()
            try await db.execute("CREATE ROLE \(identifier: login) LOGIN IN ROLE tally_dashboard")
            var url = try #require(URLComponents(string: Fixtures.url(configuration)))
            url.user = login
            let file = Fixtures.packageRoot.appendingPathComponent("sql/dashboard.psql").path
            let run = try Tools.run(Tools.psql!, [try #require(url.string), "-X", "-v", "tenant=acme", "-f", file])
            try await db.execute("DROP ROLE \(identifier: login)")
            #expect(run.status == 0, "\(run.output)")
            for expected in ["Tenants whose last run did not succeed", "acme", "service_not_on_contract", "host-b",
                             "Tenant acme", "set to 25 agents (was 20) by adjustment 5001", "tally map contract acme 4 CONTRACT_ID",
                             "Alert destinations that fail", "HTTP 500: internal_error"] {
                #expect(run.output.contains(expected), "no “\(expected)” in:\n\(run.output)")
            }
            #expect(!run.output.contains("ERROR"))
        }
    }
}

/// Outside programs the deploy tests use, when installed.
enum Tools {
    static let psql: String? = {
        let bindir = ProcessInfo.processInfo.environment["TALLY_PG_BINDIR"].map { $0 + "/psql" }
        return [bindir].compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? onPath("psql")
    }()

    static let python3WithYAML: String? = {
        guard let python = onPath("python3"), (try? run(python, ["-c", "import yaml"]).status) == 0 else { return nil }
        return python
    }()

    static func onPath(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to its end; answers its status and its standard output and error together.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
