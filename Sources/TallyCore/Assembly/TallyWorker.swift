import AsyncHTTPClient
import Autotask
import Huntress
public import Foundation
public import Logging
public import Postgres
public import TallyQueue

/// The composition root of a worker process: the pool, the Autotask client
/// and its request meter, the sync services and the job kinds, wired as
/// `tally worker` runs them. Tests and benchmarks build workers here too,
/// adding kinds of their own (`extraKinds`).
public struct TallyWorker: Sendable {
    public struct Settings: Sendable {
        public var database: ConnectionConfiguration
        public var queue = WorkerConfiguration()
        /// Connections the worker's tasks share; nil: concurrency + 2, at most 16.
        public var databaseConnections: Int?
        public var zoneLookupURL = AutotaskConfiguration.defaultZoneLookupURL
        public var autotaskRequestTimeout: Duration = .seconds(60)
        /// Huntress's API base; an http URL (the simulator) is allowed for its host alone.
        public var huntressURL = HuntressConfiguration.defaultBaseURL
        public var huntressLimit = HuntressPermits.Limit.huntress
        /// Opens tenants' Autotask secrets; without it the worker runs no sync jobs.
        public var secretKey: SecretKey?

        public init(database: ConnectionConfiguration) {
            self.database = database
        }

        /// `seconds` (a flag), else TALLY_AUTOTASK_TIMEOUT_SECONDS, else 60 s; from 1 to 600 s.
        public static func autotaskRequestTimeout(
            _ seconds: Double?, environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws -> Duration {
            let text = environment["TALLY_AUTOTASK_TIMEOUT_SECONDS"]
            guard let value = seconds ?? (text.map { Double($0) ?? .nan }) else { return .seconds(60) }
            guard value >= 1, value <= 600 else {
                throw InputError(
                    "the Autotask request timeout must be from 1 to 600 seconds (--autotask-timeout-seconds or TALLY_AUTOTASK_TIMEOUT_SECONDS), not \(seconds.map { "\($0)" } ?? text ?? "")")
            }
            return .milliseconds(Int64(value * 1000))
        }

        /// The first retry delay of a transient failure (it doubles each attempt).
        public var retryBase: Duration {
            get { queue.retryPolicy.base }
            set { queue.retryPolicy = RetryPolicy(base: newValue, cap: queue.retryPolicy.cap) }
        }
    }

    /// Install on the process's log handlers: every line logged while a job
    /// runs names its tenant, run and job (`JobLogContext`).
    public static let logMetadataProvider = JobLogContext.provider

    /// The kinds every worker knows; `sync` needs a secret key.
    public static let knownKinds = ([NoopKind.name] + kindsNeedingKey).sorted()
    /// The kinds that open tenants' secrets.
    static let kindsNeedingKey = [SyncKind.name, ContractNoteKind.name, NotifyKind.name, UsageRefreshKind.name]

    public let worker: Worker
    let pool: ConnectionPool
    let meter: RequestMeter
    let autotask: AutotaskClient
    let huntress: HuntressClient
    /// Sends run alerts (`notify` jobs); made only with a secret key.
    let alertHTTP: HTTPClient?

    /// Builds the worker. Fails when `settings.queue.kinds` names `sync` but there is no secret key.
    public init(_ settings: Settings, extraKinds: (inout JobRegistry) -> Void = { _ in }, logger: Logger) throws {
        let concurrency = settings.queue.concurrency
        // A task holds a connection only for a statement or a short transaction, never
        // across an Autotask request, so a few serve many tasks (and each costs a thread).
        pool = ConnectionPool(
            configuration: settings.database, maximumConnections: settings.databaseConnections ?? min(concurrency + 2, 16))
        let meter = RequestMeter(pool: pool, logger: logger)
        self.meter = meter
        autotask = AutotaskClient(
            configuration: AutotaskConfiguration(
                zoneLookupURL: settings.zoneLookupURL, requestTimeout: settings.autotaskRequestTimeout,
                connectionsPerHost: max(64, 2 * concurrency),
                onRequest: { await meter.record($0) }),
            logger: logger)
        let permits = HuntressPermits(pool: pool, limit: settings.huntressLimit)
        var huntressConfiguration = HuntressConfiguration.named(settings.huntressURL)
        huntressConfiguration.beforeRequest = { try await permits.take(publicKey: $0) }
        huntress = try HuntressClient(configuration: huntressConfiguration, logger: logger)
        var registry = JobRegistry()
        registry.register(NoopKind())
        if let key = settings.secretKey {
            let syncServices = SyncServices(pool: pool, autotask: autotask, secretKey: key, meter: meter)
            let http = AlertSender.makeClient()
            alertHTTP = http
            registry.register(SyncKind(services: syncServices))
            registry.register(ContractNoteKind(services: syncServices))
            registry.register(NotifyKind(pool: pool, secretKey: key, http: http))
            registry.register(UsageRefreshKind(pool: pool, huntress: huntress, secretKey: key))
        } else {
            alertHTTP = nil
            if let kinds = settings.queue.kinds, !Set(kinds).isDisjoint(with: Self.kindsNeedingKey) {
                throw SecretError.noKey
            }
            logger.warning("no secret key (TALLY_SECRET_KEY or TALLY_SECRET_KEY_FILE): this worker does not claim sync jobs")
        }
        extraKinds(&registry)
        worker = Worker(
            pool: pool, listenerConfiguration: settings.database, registry: registry, configuration: settings.queue,
            metrics: TallyMetrics.queue, logger: logger)
    }

    /// Binds secrets sealed before secrets were bound to their tenant (sql/014),
    /// with the keys this worker holds. A failure is logged; the worker still runs.
    public func bindLegacySecrets(key: SecretKey, logger: Logger) async {
        do {
            let bound = try await pool.withConnection { try await TenantSecrets.bindLegacy(key: key, on: $0) }
            if bound > 0 { logger.info("bound legacy secrets to their tenants", metadata: ["secrets": "\(bound)"]) }
        } catch {
            logger.warning("could not bind legacy secrets; the next worker start tries again", metadata: ["error": "\(error)"])
        }
    }

    /// After the worker has stopped: writes the last request counts and closes what it opened.
    public func shutdown() async {
        await meter.flush()
        try? await autotask.shutdown()
        try? await huntress.shutdown()
        try? await alertHTTP?.shutdown()
        pool.close()
    }
}
