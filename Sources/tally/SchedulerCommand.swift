import ArgumentParser
import Foundation
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

            Logs go to standard error: LOG_LEVEL (trace, debug, info, notice, warning, error, critical; \
            default info) and LOG_FORMAT (text, or json for one object per line). With --metrics-port the \
            scheduler serves /healthz, /readyz (the database answers) and /metrics (Prometheus).

            Example:
              tally scheduler
              tally scheduler --tick-seconds 10
            """
    )

    @Option(name: .customLong("tick-seconds"), help: "How often to look for due runs.")
    var tickSeconds = 30.0

    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        _ = try LogSettings.fromEnvironment()
        guard tickSeconds >= 0.1, tickSeconds <= 3600 else {
            throw ValidationError("--tick-seconds must be between 0.1 and 3600")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let logger = makeLogger(label: "tally.scheduler")
            let database = DatabaseConfiguration.fromEnvironment(applicationName: "tally scheduler")
            let scheduler = SchedulerService(
                database: database, interval: .milliseconds(Int64(tickSeconds * 1000)), logger: logger)
            let health = DatabaseHealth(configuration: database, logger: logger)
            let observability = try ObservabilityServer.services(options: metrics, health: health, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: observability + [.init(service: SessionCheckedService(scheduler, configuration: database, logger: logger))], gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }
}
