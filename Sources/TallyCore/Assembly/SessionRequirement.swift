public import Logging
public import Postgres
public import ServiceLifecycle
import TallyQueue

/// Workers and schedulers refuse to run behind a pooler that does not keep
/// their server session (`SessionPinning`); they wait for a database that is
/// not up yet, as they do for one that restarts.
public enum SessionRequirement {
    public static func awaitVerified(_ configuration: ConnectionConfiguration, logger: Logger) async throws {
        var failures = 0
        while true {
            do {
                let connection = try await Connection.connect(configuration)
                try await SessionPinning.verify(connection, configuration: configuration)
                return
            } catch let error as PostgresError where error.isConnectionProblem {
                failures += 1
                if failures == 1 || failures % 10 == 0 {
                    logger.warning("the database does not answer yet; retrying", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: Worker.backoff(failures))
            }
        }
    }
}

/// Runs `service` once the session check has passed; the process's other
/// services (its health endpoint) run meanwhile, so a database that is down
/// at start shows as not ready instead of a process that does not answer.
public struct SessionCheckedService: Service {
    let configuration: ConnectionConfiguration
    let logger: Logger
    let service: any Service

    public init(_ service: any Service, configuration: ConnectionConfiguration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await SessionRequirement.awaitVerified(configuration, logger: logger)
            }
        } catch where Task.isCancelled || error is CancellationError {
            // Shut down while waiting (a cancelled statement may say 57014 rather than throw CancellationError).
            return
        }
        try await service.run()
    }
}
