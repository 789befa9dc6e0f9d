import NIOConcurrencyHelpers

/// A bounded set of connections shared by tasks.
///
/// `withConnection` lends a connection for the duration of a closure. A lent
/// connection is checked without a round trip before it is handed out; one
/// that the server dropped is replaced. A connection returned broken or in
/// the middle of a transaction is discarded, not reused.
public final class ConnectionPool: Sendable {
    public let configuration: ConnectionConfiguration
    public let maximumConnections: Int

    private enum Grant {
        case connection(Connection)
        /// The waiter may open a new connection in a freed slot.
        case open
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Grant, any Error>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    public init(configuration: ConnectionConfiguration = .fromEnvironment(), maximumConnections: Int = 10) {
        precondition(maximumConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.maximumConnections = maximumConnections
    }

    /// Connections open now (idle and lent).
    public var openConnections: Int { state.withLockedValue { $0.open } }

    @discardableResult
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        let connection = try await checkOut()
        do {
            let result = try await body(connection)
            checkIn(connection)
            return result
        } catch {
            checkIn(connection)
            throw error
        }
    }

    /// A transaction on a pooled connection.
    @discardableResult
    public func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.withTransaction { try await body($0) }
        }
    }

    /// Closes idle connections and refuses new loans; lent ones close when returned.
    public func close() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Grant, any Error>] in
            state.closed = true
            state.open -= state.idle.count
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(throwing: PostgresError(.misuse, "the connection pool is closed")) }
    }

    private func checkOut() async throws -> Connection {
        var grant = try await reserve()
        while true {
            switch grant {
            case .connection(let connection):
                if connection.checkHealth() { return connection }
                grant = .open
            case .open:
                do {
                    return try await Connection.connect(configuration)
                } catch {
                    releaseSlot()
                    throw error
                }
            }
        }
    }

    private func reserve() async throws -> Grant {
        enum Decision { case grant(Grant), wait, closed }
        let decision = state.withLockedValue { state -> Decision in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .grant(.connection(connection)) }
            if state.open < maximumConnections {
                state.open += 1
                return .grant(.open)
            }
            return .wait
        }
        switch decision {
        case .grant(let grant): return grant
        case .closed: throw PostgresError(.misuse, "the connection pool is closed")
        case .wait: break
        }
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let granted = state.withLockedValue { state -> Grant? in
                    if let connection = state.idle.popLast() { return .connection(connection) }
                    if state.open < maximumConnections {
                        state.open += 1
                        return .open
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Grant, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func checkIn(_ connection: Connection) {
        guard connection.checkHealth() else {
            releaseSlot()
            return
        }
        let waiter = state.withLockedValue { state -> CheckedContinuation<Grant, any Error>? in
            if state.closed {
                state.open -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: .connection(connection))
    }

    /// A connection was dropped or could not be opened: hand its slot to a
    /// waiter, or free it.
    private func releaseSlot() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Grant, any Error>? in
            if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: .open)
    }
}
