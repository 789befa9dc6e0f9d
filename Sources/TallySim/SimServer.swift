public import Hummingbird
public import Logging

/// Runs the simulator's HTTP server.
public enum SimServer {
    public static func router(state: SimState) -> Router<BasicRequestContext> {
        let router = Router(options: .caseInsensitive)
        APIRoutes(state: state).register(on: router)
        AdminRoutes(state: state).register(on: router)
        return router
    }

    /// Serves until the task is cancelled or the process gets SIGTERM/SIGINT;
    /// `onReady` gets the bound port (useful with port 0).
    public static func run(
        state: SimState, host: String = "127.0.0.1", port: Int = 0, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let app = Application(
            router: router(state: state),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tally-sim"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }

    /// Starts a simulator in this process, returning once it accepts connections.
    public static func start(state: SimState, host: String = "127.0.0.1", port: Int = 0, logger: Logger? = nil) async throws -> RunningSimulator {
        var quiet = Logger(label: "tally-sim")
        quiet.logLevel = .warning
        let (ready, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await run(state: state, host: host, port: port, logger: logger ?? quiet) { port in
                continuation.yield(port)
            }
        }
        for await boundPort in ready {
            return RunningSimulator(host: host, port: boundPort, state: state, task: task)
        }
        try await task.value
        throw SimServerError(description: "tally-sim stopped before it was ready")
    }
}

public struct SimServerError: Error, CustomStringConvertible {
    public var description: String
}

/// A simulator started with `SimServer.start`.
public struct RunningSimulator: Sendable {
    public let host: String
    public let port: Int
    public let state: SimState
    let task: Task<Void, any Error>

    /// The zone-lookup base URL, as a client's configuration takes it.
    public var lookupURL: String { "http://\(host):\(port)/ATServicesRest/" }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
