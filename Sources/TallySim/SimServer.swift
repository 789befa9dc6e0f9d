public import Hummingbird
public import Logging
import ServiceLifecycle

/// Runs the simulator's HTTP server.
public enum SimServer {
    public static func router(state: SimState) -> Router<BasicRequestContext> {
        let router = Router(options: .caseInsensitive)
        APIRoutes(state: state).register(on: router)
        AdminRoutes(state: state).register(on: router)
        HuntressRoutes(state: state).register(on: router)
        HuntressAdminRoutes(state: state).register(on: router)
        return router
    }

    static func application(
        state: SimState, host: String, port: Int, logger: Logger, onReady: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router(state: state),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tally-sim"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT; `onReady` gets the bound port (useful with port 0).
    public static func run(
        state: SimState, host: String = "127.0.0.1", port: Int = 0, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        try await application(state: state, host: host, port: port, logger: logger, onReady: onReady).runService()
    }

    /// Starts a simulator in this process, returning once it accepts connections.
    public static func start(state: SimState, host: String = "127.0.0.1", port: Int = 0, logger: Logger? = nil) async throws -> RunningSimulator {
        var quiet = Logger(label: "tally-sim")
        quiet.logLevel = .warning
        let logger = logger ?? quiet
        let (ready, continuation) = AsyncStream<Int>.makeStream()
        let app = application(state: state, host: host, port: port, logger: logger) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await boundPort in ready {
            return RunningSimulator(host: host, port: boundPort, state: state, group: group, task: task)
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
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// The zone-lookup base URL, as a client's configuration takes it.
    public var lookupURL: String { "http://\(host):\(port)/ATServicesRest/" }

    /// A webhook sink's URL (`/_sim/hooks/{name}`), for alert destinations.
    public func hookURL(_ name: String) -> String { "http://\(host):\(port)/_sim/hooks/\(name)" }

    /// The simulated Huntress API's base URL, as a Huntress client's configuration takes it.
    public var huntressURL: String { "http://\(host):\(port)/huntress/v1/" }

    /// Stops accepting connections, lets requests in flight finish, and returns.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
