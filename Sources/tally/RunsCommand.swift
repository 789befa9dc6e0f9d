import ArgumentParser
import Foundation
import TallyCore

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List a tenant's latest runs: trigger, due time, duration, outcomes and units changed.",
        discussion: """
            One line per run, newest first (dashboard.runs and dashboard.run_changes): what started it \
            (daily, monthly or sync_now), when it was due, when it started and how long it took, its \
            jobs by outcome, and the adjustments it posted with the units they added and removed. \
            `tally status TENANT --changes` lists the last run's adjustments one by one.

            Examples:
              tally runs acme-msp
              tally runs acme-msp --last 20 --json
            """
    )

    @Argument(help: "The tenant's slug.")
    var tenant: String

    @Option(name: .customLong("last"), help: "How many of the latest runs to show.")
    var count = 10

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard count >= 1, count <= 1000 else { throw ValidationError("--last must be between 1 and 1000") }
    }

    func run() async throws {
        try await reportingFailures {
            let connection = try await Commands.connect("runs")
            try await Dashboard.prepareSession(on: connection)
            let summaries = try await Dashboard.runSummaries(slug: tenant, limit: count, on: connection)
            if output.json { try printJSON(summaries) } else { Self.printTable(summaries) }
        }
    }

    static func printTable(_ summaries: [RunSummary]) {
        var table = Table(
            "RUN", "TRIGGER", "DUE", "STARTED", "DURATION", "STATE", "JOBS", "SUCCEEDED", "FAILED", "SKIPPED", "HELD",
            "TO DO", "ADJUSTMENTS", "UNITS")
        for summary in summaries {
            let run = summary.run
            let units = summary.adjustments == 0 ? "-" : "+\(summary.unitsAdded) / −\(summary.unitsRemoved)"
            table.add(
                "\(run.runID)", run.trigger, run.dueAt?.cell ?? "-", run.createdAt.cell, durationText(run.durationSeconds),
                run.state, "\(run.jobCount)", "\(run.succeeded)", "\(run.failed)", "\(run.skipped)", "\(run.held)",
                "\(run.queued + run.running)", "\(summary.adjustments)", units)
        }
        table.print(empty: "no runs yet")
    }
}
