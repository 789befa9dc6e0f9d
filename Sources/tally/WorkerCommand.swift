import ArgumentParser
import Foundation
import ServiceLifecycle
import TallyCore

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: claim jobs and run them until SIGTERM or SIGINT.",
        discussion: """
            Start as many workers as you like, on any hosts: they share only the database. \
            Each runs --concurrency tasks; a task holds a batch of one tenant's jobs at a time, \
            and no tenant ever has more tasks than its concurrency cap across the cluster. \
            On SIGTERM a worker stops claiming, lets running jobs finish for --grace-seconds, \
            and hands the rest back without using an attempt.

            Sync jobs open tenants' Autotask secrets with TALLY_SECRET_KEY (or TALLY_SECRET_KEY_FILE); \
            a worker without a key does not claim sync jobs.

            Logs go to standard error: LOG_LEVEL (trace, debug, info, notice, warning, error, critical; \
            default info) and LOG_FORMAT (text, or json for one object per line). With --metrics-port the \
            worker serves /healthz, /readyz (the database answers) and /metrics (Prometheus).

            Example:
              tally worker --concurrency 8
              tally worker --kinds noop --batch-size 50
            """
    )

    @Option(help: "Tasks working at once in this process.")
    var concurrency = 4

    @Option(help: "Comma-separated job kinds to run (default: all this build knows).")
    var kinds: String?

    @Option(name: .customLong("batch-size"), help: "Jobs of one tenant claimed together (a sync batch shares its Autotask reads).")
    var batchSize = 50

    @Option(
        name: .customLong("queue-statements"),
        help: "Claims and end writes this process sends to PostgreSQL at once; more costs the database CPU in lock contention (default 1).")
    var queueStatements = 1

    @Option(name: .customLong("lease-seconds"), help: "A claim's lease; a killed worker's jobs run again after it.")
    var leaseSeconds = 30.0

    @Option(name: .customLong("poll-seconds"), help: "Idle tasks look for work at least this often.")
    var pollSeconds = 1.0

    @Option(name: .customLong("grace-seconds"), help: "After SIGTERM, how long running jobs may take.")
    var graceSeconds = 25.0

    @Option(name: .customLong("retry-base-seconds"), help: "First retry delay of a transient failure; doubles each attempt.")
    var retryBaseSeconds = 2.0

    @Option(
        name: .customLong("database-connections"),
        help: "Connections to PostgreSQL this worker's tasks share (default: --concurrency + 2, at most 16).")
    var databaseConnections: Int?

    @Option(name: .customLong("retention-hours"), help: "Finished jobs are deleted after this long; results are kept.")
    var retentionHours = 168.0

    @OptionGroup var autotask: AutotaskOptions

    @Option(
        name: .customLong("autotask-timeout-seconds"),
        help: "How long an Autotask request may take (default: TALLY_AUTOTASK_TIMEOUT_SECONDS, else 60). A write left unanswered is re-read, not posted again, once twice this has passed.")
    var autotaskTimeoutSeconds: Double?

    @OptionGroup var huntress: HuntressOptions

    @Option(
        name: .customLong("huntress-limit"),
        help: "Requests per key Huntress allows, as N/SECONDS, counted across the cluster (default 60/61: its 60 a minute, a second to spare).")
    var huntressLimit: String?

    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        _ = try LogSettings.fromEnvironment()
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 256") }
        guard (1...500).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 500") }
        guard (1...256).contains(queueStatements) else { throw ValidationError("--queue-statements must be between 1 and 256") }
        if let databaseConnections, !(1...1000).contains(databaseConnections) {
            throw ValidationError("--database-connections must be between 1 and 1000")
        }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        _ = try HuntressOptions.permitLimit(huntressLimit)
        _ = try TallyWorker.Settings.autotaskRequestTimeout(autotaskTimeoutSeconds)
        guard pollSeconds > 0, graceSeconds >= 0, retryBaseSeconds > 0, retentionHours > 0 else {
            throw ValidationError("--poll-seconds, --retry-base-seconds and --retention-hours must be positive; --grace-seconds not negative")
        }
        if let kinds {
            let unknown = Set(Self.parseKinds(kinds)).subtracting(TallyWorker.knownKinds)
            guard unknown.isEmpty else {
                throw ValidationError("unknown job kinds: \(unknown.sorted().joined(separator: ", ")); known: \(TallyWorker.knownKinds.joined(separator: ", "))")
            }
        }
    }

    /// The key, nil when none is configured; a key that is set but unusable is an error.
    static func secretKeyIfSet() throws -> SecretKey? {
        do {
            return try SecretKey.fromProcess()
        } catch .noKey {
            return nil
        }
    }

    static func parseKinds(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        try await reportingFailures {
            let logger = makeLogger(label: "tally.worker")
            let database = DatabaseConfiguration.fromEnvironment(applicationName: "tally worker")
            var settings = TallyWorker.Settings(database: database)
            settings.queue.concurrency = concurrency
            settings.queue.batchSize = batchSize
            settings.queue.queueStatementConcurrency = queueStatements
            settings.queue.lease = .milliseconds(Int64(leaseSeconds * 1000))
            settings.queue.pollInterval = .milliseconds(Int64(pollSeconds * 1000))
            settings.queue.shutdownGrace = .milliseconds(Int64(graceSeconds * 1000))
            settings.retryBase = .milliseconds(Int64(retryBaseSeconds * 1000))
            settings.queue.retention = .seconds(Int64(retentionHours * 3600))
            settings.queue.kinds = kinds.map(Self.parseKinds)
            settings.databaseConnections = databaseConnections
            settings.zoneLookupURL = try autotask.zoneLookupURL()
            settings.autotaskRequestTimeout = try TallyWorker.Settings.autotaskRequestTimeout(autotaskTimeoutSeconds)
            settings.huntressURL = try huntress.url()
            settings.huntressLimit = try HuntressOptions.permitLimit(huntressLimit)
            settings.secretKey = try Self.secretKeyIfSet()
            let assembled = try TallyWorker(settings, logger: logger)
            if let key = settings.secretKey { await assembled.bindLegacySecrets(key: key, logger: logger) }
            let health = DatabaseHealth(configuration: database, logger: logger)
            let observability = try ObservabilityServer.services(options: metrics, health: health, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: observability + [.init(service: SessionCheckedService(assembled.worker, configuration: database, logger: logger))], gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            do {
                try await group.run()
            } catch {
                await assembled.shutdown()
                throw error
            }
            await assembled.shutdown()
        }
    }
}
