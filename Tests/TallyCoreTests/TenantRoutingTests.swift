import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// docs/scale.md's precondition for a tenant-distributed PostgreSQL, checked
/// on plain PostgreSQL (issue 21): every statement a run executes — workers,
/// the scheduler, the CLI, with their real parameters — reads tenant-keyed
/// tables only under a `tenant_id` condition bound to one value (a parameter,
/// a constant, or an equality join on another table's `tenant_id`), as
/// auto_explain logs its plan. The statements docs/scale.md §3 names as
/// multi-tenant are listed below with the section that says how each becomes
/// single-tenant; a new statement that reads across tenants fails the test.
@Suite(.serialized)
struct TenantRoutingTests {
    /// Tables whose rows belong to one tenant (docs/scale.md §1: distributed).
    static let tenantTables: Set<String> = [
        "tenant_secrets", "service_mappings", "organizations", "usage", "runs", "jobs", "results", "queue_slots",
        "queue_tenants", "queued_job_counts", "autotask_request_counts", "contract_service_writes", "autotask_thresholds",
        "run_alerts", "contract_notes", "notify_destinations", "alert_deliveries", "noop_runs",
    ]

    /// Statements that read across tenants today, by a phrase of their text, with where docs/scale.md deals with them.
    static let documentedMultiTenant: [(phrase: String, why: String)] = [
        ("candidate AS", "Q1/Q1b the claim's tenant pick (§4.1)"),
        ("my_slots AS", "Q7 lease renewal (§4.2)"),
        ("expired AS", "Q8 the reaper (§4.2)"),
        ("WHERE finished_at < now()", "Q9 prune (§4.2)"),
        ("DELETE FROM queued_job_counts", "Q10 prune counts (§3)"),
        ("DELETE FROM autotask_request_counts", "Q10 prune request counts (§3)"),
        ("GROUP BY state", "Q11 queue depth gauge (§3)"),
        ("INSERT INTO autotask_request_counts", "S7 request meter flush (§3)"),
        ("due AS", "C2 the scheduler tick (§4.3)"),
        ("alerts_checked_at IS NULL", "C4 the alert sweep (§4.3)"),
        ("WHERE r.phase = 'refreshing' AND (j.job_id IS NULL", "C3 stalled refreshes (§3)"),
        ("WHERE NOT bound", "binding legacy secrets at worker start (§5.7)"),
        ("FROM sync_targets s", "S1 sync_targets: on a test-sized database its OR'd EXISTS run as hashed subplans over every tenant; at 2,000 tenants they run per row by index (2.5 ms for 3 tenants, docs/scale.md)"),
        ("FROM dashboard.tenants", "D4 dashboard.tenants: its running-runs join reads every tenant's running jobs (§3)"),
        ("tenant_slug =", "D3 tenant by slug (§5.3)"),
    ]

    @Test func everyStatementOfARunReadsOneTenantsRowsButThoseTheScaleDocumentNames() async throws {
        guard let dataDirectory = ProcessInfo.processInfo.environment["TALLY_PG_DATADIR"] else {
            Issue.record("TALLY_PG_DATADIR is not set: run the tests with scripts/with-postgres (make test)")
            return
        }
        let serverLog = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().appendingPathComponent("server.log")
        try await SyncFixture.with(tenants: 2, organizations: 4) { fixture in
            let database = fixture.configuration.overrides["dbname"]!
            for setting in [
                "session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
                "auto_explain.log_format = 'json'",
            ] {
                try await fixture.connection.execute("ALTER DATABASE \(identifier: database) SET \(unescaped: setting)")
            }
            _ = try await fixture.makeEverySyncAChange()
            let logStart = try FileManager.default.attributesOfItem(atPath: serverLog.path)[.size] as? Int ?? 0

            let workers = try fixture.startWorkers(1, arguments: ["--concurrency", "2", "--batch-size", "3", "--lease-seconds", "3"])
            let scheduler = try WorkerProcess(fixture.configuration, command: "scheduler", arguments: ["--tick-seconds", "0.3"])
            let cli = TallyCLI(fixture)
            let sync = try cli.run(["sync", "msp-1", "--wait", "--timeout-seconds", "60"])
            #expect(sync.status == 0, "\(sync.error)")
            #expect(try cli.run(["status", "msp-1"]).status == 0)
            #expect(try cli.run(["runs", "msp-1"]).status == 0)
            // A lease renewal and a reaper pass at least (every lease / 3).
            try await Task.sleep(for: .seconds(2))
            scheduler.signal(SIGTERM)
            _ = await scheduler.waitForExit(timeout: .seconds(10))
            await workers.stopAll()

            let plans = try Self.plans(in: serverLog, from: logStart)
            #expect(plans.count > 50, "auto_explain logged the run's statements")
            var seen = Set<String>()
            var violations: [String] = []
            for plan in plans {
                let unbound = Self.unboundTenantScans(plan.root, externalParameters: Self.parameterCount(plan.text))
                guard !unbound.isEmpty else { continue }
                if let known = Self.documentedMultiTenant.first(where: { plan.text.contains($0.phrase) }) {
                    seen.insert(known.why)
                    continue
                }
                let head = plan.text.split(separator: "\n").prefix(3).joined(separator: " ").prefix(160)
                violations.append("\(unbound.sorted().joined(separator: ", ")) in: \(head)")
            }
            #expect(Set(violations).sorted() == [], "statements that read more than one tenant's rows")
            print("tenant routing: \(plans.count) plans; documented multi-tenant statements seen: \(seen.sorted().joined(separator: "; "))")
        }
    }

    struct LoggedPlan {
        var text: String
        var root: [String: Any]
    }

    /// auto_explain's JSON plans in the server log after byte `offset`.
    static func plans(in log: URL, from offset: Int) throws -> [LoggedPlan] {
        let handle = try FileHandle(forReadingFrom: log)
        try handle.seek(toOffset: UInt64(offset))
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var plans: [LoggedPlan] = []
        for entry in text.components(separatedBy: "  plan:\n").dropFirst() {
            // The plan's JSON runs to the next log line (a timestamp at the start of a line).
            let body = entry.components(separatedBy: "\n20").first ?? entry
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                  let query = object["Query Text"] as? String, let root = object["Plan"] as? [String: Any]
            else { continue }
            plans.append(LoggedPlan(text: query, root: root))
        }
        return plans
    }

    /// The highest `$n` of a statement's own text: plan parameters above it come from subqueries.
    static func parameterCount(_ text: String) -> Int {
        let regex = try! NSRegularExpression(pattern: #"\$(\d+)"#)
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Int((text as NSString).substring(with: $0.range(at: 1))) }.max() ?? 0
    }

    /// Tenant-keyed tables the plan scans without a one-tenant `tenant_id`
    /// condition of their own, unless a join above matches them to another
    /// table's `tenant_id` (a co-located join: that side is checked itself).
    static func unboundTenantScans(_ node: [String: Any], externalParameters: Int, joinedOnTenant: Bool = false) -> Set<String> {
        var unbound = Set<String>()
        let children = node["Plans"] as? [[String: Any]] ?? []
        // A ModifyTable node names its table but reads nothing: the scan under it does.
        if let relation = node["Relation Name"] as? String, tenantTables.contains(relation), node["Node Type"] as? String != "ModifyTable",
           !joinedOnTenant {
            let conditions = ([node] + children).flatMap { part in
                ["Index Cond", "Recheck Cond", "Filter"].compactMap { part[$0] as? String }
            }
            if !conditions.contains(where: { bindsOneTenant($0, externalParameters: externalParameters) }) {
                unbound.insert("\(relation) (\(node["Node Type"] as? String ?? "?"): \(conditions.joined(separator: "; ")))")
            }
        }
        let joinConditions = ["Hash Cond", "Merge Cond", "Join Filter"].compactMap { node[$0] as? String }
        let joinsOnTenant = joinConditions.contains {
            $0.range(of: #"tenant_id = (\w+|"[^"]+")\.tenant_id"#, options: .regularExpression) != nil
        }
        let passesDown = joinsOnTenant || (joinedOnTenant && ["Hash", "Materialize", "Memoize", "Sort"].contains(node["Node Type"] as? String ?? ""))
        for child in children {
            unbound.formUnion(unboundTenantScans(child, externalParameters: externalParameters, joinedOnTenant: passesDown))
        }
        return unbound
    }

    /// `tenant_id = 'N'::bigint`, `= $n` of the statement's own parameters, or
    /// `= alias.tenant_id` (a quoted alias too: `"*SELECT* 1".tenant_id`, a union's branch).
    static func bindsOneTenant(_ condition: String, externalParameters: Int) -> Bool {
        let regex = try! NSRegularExpression(pattern: #"(?<![\w.])(?:\w+\.)?tenant_id = ('\d+'::bigint|\$(\d+)|(?:\w+|"[^"]+")\.tenant_id)\b"#)
        let text = condition as NSString
        for match in regex.matches(in: condition, range: NSRange(location: 0, length: text.length)) {
            let parameter = match.range(at: 2)
            if parameter.location == NSNotFound { return true }
            if let n = Int(text.substring(with: parameter)), n <= externalParameters { return true }
        }
        return false
    }
}
