import ArgumentParser
import Foundation
import TallyCore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync Now: bring a tenant's contract units to its usage.",
        discussion: """
            Creates a run and its jobs at Sync Now priority; workers do the rest. --wait shows \
            progress and exits 1 if any job failed. --dry-run asks Autotask and prints, per \
            organization and product, the units now, the target and the change, writing nothing.

            Examples:
              tally sync acme-msp --wait
              tally sync acme-msp --org 1042 --product edr --dry-run
            """)

    @Argument(help: "The tenant.") var tenant: String
    @Option(name: .customLong("org"), help: "Only this organization.") var organization: Int64?
    @Option(help: "Only this product (edr, m365).") var product: String?
    @Flag(help: "Wait for the run to finish, showing progress.") var wait = false
    @Flag(name: .customLong("dry-run"), help: "Print the plan; write nothing.") var dryRun = false
    @Flag(name: .customLong("no-refresh"), help: "Sync the usage Tally has; do not refresh it from Huntress first.")
    var noRefresh = false
    @Option(name: .customLong("timeout-seconds"), help: "With --wait: give up waiting after this long (the run goes on).")
    var timeoutSeconds = 3600.0
    @OptionGroup var autotask: AutotaskOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let (db, tenantID) = try await Commands.connect("sync", tenant: tenant)
            if let product {
                let known = try await UsageStore.products(on: db)
                guard known.contains(product) else {
                    throw InputError("there is no product \(product): the products are \(known.sorted().joined(separator: ", "))")
                }
            }
            if let organization {
                try await Mappings.requireOrganization(tenantID: tenantID, organizationID: organization, on: db)
            }
            if dryRun { return try await printPlan(tenantID: tenantID) }
            let run = try await Runs.syncNow(
                tenantID: tenantID, organizationID: organization, product: product,
                requestedBy: ProcessInfo.processInfo.environment["USER"], refresh: !noRefresh, on: db)
            if run.refreshing {
                printNow("run \(run.runID): refreshing \(tenant)'s usage from Huntress; its syncs follow")
            } else if run.jobCount == 0 {
                print("nothing to sync for \(tenant): no organization has a mapped product or usage (`tally map list \(tenant)`)")
                return
            }
            if !run.refreshing { printNow("run \(run.runID): \(counted(run.jobCount, "job")) queued for \(tenant)") }
            guard wait else { return }
            try await waitForRun(tenantID: tenantID, runID: run.runID, on: db)
        }
    }

    private func printPlan(tenantID: Int64) async throws {
        let rows = try await Commands.dryRun(
            tenantID: tenantID, organizationID: organization, product: product, zoneLookupURL: try autotask.zoneLookupURL(),
            logger: makeLogger(label: "tally.sync"))
        if output.json { return try printJSON(rows.map(PlanLine.init)) }
        var table = Table("organization", "name", "product", "units now", "target", "change", "would")
        for row in rows {
            let line = PlanLine(row)
            table.add("\(line.organizationID)", line.organizationName.cell, line.product, line.unitsNow.cell, line.target.cell,
                      line.change == 0 ? "0" : String(format: "%+d", line.change), line.would)
        }
        table.print(empty: "nothing to sync for \(tenant)")
        print("dry run: nothing was written")
    }

    struct PlanLine: Codable {
        var organizationID: Int64
        var organizationName: String?
        var product: String
        var unitsNow: Int?
        var target: Int?
        var change: Int
        var would: String

        init(_ row: SyncDryRun.Row) {
            organizationID = row.key.organizationID
            organizationName = row.organizationName
            product = row.key.product
            unitsNow = row.plan.report.unitsBefore
            target = row.plan.report.targetUnits
            change = row.plan.change
            switch row.plan.decision {
            case .adjust: would = "adjust"
            case .unchanged: would = "nothing (in step)"
            case .skip(_, let message): would = "skip: " + message
            case .fail(_, let message): would = "fail: " + message
            case .hold(_, let message): would = "hold: " + message
            }
        }
    }

    /// A table row per problem, except that one cause shared by several syncs (a
    /// tenant-wide one: wrong credentials, a missing permission) is said once,
    /// with the organizations and the count. A held change names the whole
    /// command that releases it, job id included.
    static func problemRows(_ problems: [Runs.Problem], tenant: String) -> [[String]] {
        var groups: [[Runs.Problem]] = []
        var groupOfKey: [String: Int] = [:]
        for problem in problems {
            let key = problem.outcome == "held" ? "held \(problem.jobID)" : problem.outcome + "\u{0}" + problem.message
            if let index = groupOfKey[key] {
                groups[index].append(problem)
            } else {
                groupOfKey[key] = groups.count
                groups.append([problem])
            }
        }
        return groups.map { members in
            let first = members[0]
            guard members.count > 1 else {
                let approve = first.outcome == "held" ? " Approve: " + SyncApproval.command(slug: tenant, jobID: first.jobID) : ""
                return ["\(first.organizationID)", first.product, first.outcome, first.message + approve]
            }
            let organizations = Array(Set(members.map(\.organizationID))).sorted()
            let shown = organizations.prefix(3).map(String.init).joined(separator: ", ")
                + (organizations.count > 3 ? " and \(organizations.count - 3) more" : "")
            let products = Array(Set(members.map(\.product))).sorted().joined(separator: ", ")
            return [shown, products, first.outcome, "\(first.message) (\(counted(members.count, "sync")))"]
        }
    }

    /// "finished: 30 succeeded", or "finished with 1 failure and 2 held changes (27 succeeded)".
    static func ending(_ progress: Runs.Progress) -> String {
        var problems: [String] = []
        if progress.failed > 0 { problems.append(counted(progress.failed, "failure")) }
        if progress.held > 0 { problems.append(counted(progress.held, "held change")) }
        let succeeded = "\(progress.succeeded) succeeded" + (progress.skipped > 0 ? ", \(progress.skipped) skipped" : "")
        return problems.isEmpty ? "finished: \(succeeded)" : "finished with \(problems.joined(separator: " and ")) (\(succeeded))"
    }

    private func waitForRun(tenantID: Int64, runID: Int64, on db: Database) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutSeconds * 1000))
        var last = ""
        while true {
            guard let progress = try await Runs.progress(tenantID: tenantID, runID: runID, on: db) else { return }
            let line = progress.refreshing
                ? "refreshing usage from Huntress"
                : "\(progress.done)/\(progress.jobCount) done, \(progress.failed) failed, \(progress.held) held, \(progress.skipped) skipped"
                    + (progress.refreshError.map { " (\($0))" } ?? "")
            if line != last {
                printNow(line)
                last = line
            }
            if progress.isFinished {
                let problems = try await Runs.problems(tenantID: tenantID, runID: runID, on: db)
                var table = Table("organization", "product", "outcome", "what to do")
                for row in Self.problemRows(problems, tenant: tenant) { table.add(row) }
                if !problems.isEmpty { print(table.rendered) }
                printNow("run \(runID) " + Self.ending(progress))
                if progress.failed > 0 { throw ExitCode.failure }
                return
            }
            guard ContinuousClock.now < deadline else {
                print("still running after \(Int(timeoutSeconds)) s; `tally status \(tenant)` shows it later")
                throw ExitCode.failure
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
