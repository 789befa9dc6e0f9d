import ArgumentParser
import Foundation
import TallyCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the dashboard views say, as tables.",
        discussion: """
            Without a tenant: every tenant's schedule, next run, last run and budget used \
            (dashboard.tenants), the queue per tenant (dashboard.queue), the workers and their \
            heartbeats (dashboard.workers), the last 24 hours' failures by reason with what to do \
            (dashboard.failures) and the last hour's throughput (dashboard.throughput).

            With a tenant: its latest result per organization and product (dashboard.sync_status), \
            its latest runs (dashboard.runs), its queue, its failures and its organizations without \
            a company or contract (dashboard.unmapped). With --changes: the adjustments its last run \
            posted (dashboard.run_changes), with units before and after.

            The same views are readable in psql (sql/dashboard.psql) and Grafana (deploy/grafana).

            Examples:
              tally status
              tally status acme-msp
              tally status acme-msp --runs 10 --json
              tally status acme-msp --changes
            """
    )

    @Argument(help: "A tenant's slug (default: the whole cluster).")
    var tenant: String?

    @Option(name: .customLong("runs"), help: "How many of the tenant's latest runs to show.")
    var runCount = 5

    @Flag(help: "With a tenant: list the adjustments its last run posted, and nothing else.")
    var changes = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard runCount >= 1, runCount <= 1000 else { throw ValidationError("--runs must be between 1 and 1000") }
        if changes, tenant == nil { throw ValidationError("--changes needs a tenant: tally status TENANT --changes") }
    }

    func run() async throws {
        try await reportingFailures {
            let connection = try await Commands.connect("status")
            try await Dashboard.prepareSession(on: connection)
            if let tenant, changes {
                let last = try await LastRunChanges.load(slug: tenant, on: connection)
                if output.json { try printJSON(last) } else { last.printTable(slug: tenant) }
            } else if let tenant {
                let status = try await TenantStatus.load(slug: tenant, runs: runCount, on: connection)
                if output.json { try printJSON(status) } else { status.printTables() }
            } else {
                let status = try await ClusterStatus.load(on: connection)
                if output.json { try printJSON(status) } else { status.printTables() }
            }
        }
    }
}
