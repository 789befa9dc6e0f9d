import ArgumentParser
import Foundation
import Postgres
import ServiceLifecycle
import TallyCore

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run the scheduler: create due runs and their sync jobs until SIGTERM or SIGINT.",
        discussion: """
            Every --tick-seconds the scheduler reads every tenant's schedule (daily at a local time, \
            or monthly on a day, in the tenant's time zone) and, for each tenant whose latest due \
            time has no run yet, creates the run and one sync job per organization and product. \
            After downtime it creates only the latest missed run of each tenant, once. Schedule \
            changes apply at the next tick, without a restart.

            Several schedulers may run at once, on any hosts (for availability): each run is \
            created exactly once. A database error is logged and retried with back-off; the \
            scheduler does not exit on it.

            Log level: TALLY_LOG_LEVEL (trace, debug, info, notice, warning, error; default info).

            Example:
              tally scheduler
              tally scheduler --tick-seconds 10
            """
    )

    @Option(name: .customLong("tick-seconds"), help: "How often to look for due runs.")
    var tickSeconds = 30.0

    func validate() throws {
        guard tickSeconds >= 0.1, tickSeconds <= 3600 else {
            throw ValidationError("--tick-seconds must be between 0.1 and 3600")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let logger = makeLogger(label: "tally.scheduler")
            let scheduler = SchedulerService(
                database: .fromEnvironment(applicationName: "tally scheduler"),
                interval: .milliseconds(Int64(tickSeconds * 1000)), logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: scheduler)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
