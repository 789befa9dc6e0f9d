public import Logging
import NIOConcurrencyHelpers
public import Postgres
public import ServiceLifecycle
import TallyQueue

/// Readiness for `/readyz`: a loop that checks the database every
/// `interval` on a connection of its own (reconnecting when it breaks) and
/// samples the queue depth with the same query. The HTTP handler only reads
/// the last answer, so a hung database never hangs a probe.
public final class DatabaseHealth: Service, Sendable {
    public struct Status: Sendable {
        public var checkedAt: ContinuousClock.Instant?
        /// Nil when the last check succeeded.
        public var problem: String?
    }

    let configuration: ConnectionConfiguration
    let interval: Duration
    let logger: Logger
    let state = NIOLockedValueBox(Status(checkedAt: nil, problem: "the database has not been checked yet"))

    public init(configuration: ConnectionConfiguration, interval: Duration = .seconds(5), logger: Logger) {
        self.configuration = configuration
        self.interval = interval
        self.logger = logger
    }

    /// Ready when the last check succeeded and is recent (three intervals).
    public var readiness: (ready: Bool, reason: String) {
        let status = state.withLockedValue { $0 }
        // The probe is often public: it names no host, user or DSN (the process log has the error).
        if status.problem != nil { return (false, "database unreachable (the process log says why)") }
        guard let checkedAt = status.checkedAt, ContinuousClock.now - checkedAt < interval * 3 else {
            return (false, "the last database check is too old; the check may be hanging")
        }
        return (true, "database reachable")
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var connection: Connection?
            while !Task.isCancelled {
                do {
                    let db: Connection
                    if let connection { db = connection } else { db = try await Connection.connect(self.configuration) }
                    connection = db
                    for (state, jobs) in try await QueueDepth.sample(on: db) {
                        TallyMetrics.queueDepth(state: state, jobs: jobs)
                    }
                    self.record(problem: nil)
                } catch {
                    if Task.isCancelled { break }
                    connection = nil
                    self.record(problem: "\(error)")
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }

    private func record(problem: String?) {
        let wasProblem = state.withLockedValue { status -> String? in
            defer { status = Status(checkedAt: .now, problem: problem) }
            return status.checkedAt == nil ? nil : status.problem
        }
        if let problem, wasProblem == nil {
            logger.warning("database check failed; /readyz answers 503", metadata: ["error": "\(problem)"])
        } else if problem == nil, wasProblem != nil {
            logger.info("database check succeeded again; /readyz answers 200")
        }
    }
}
