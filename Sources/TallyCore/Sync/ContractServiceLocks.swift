public import Postgres

/// Session advisory locks on contract services, all taken on one connection
/// of this process, so a task that holds a lock holds no connection while
/// its Autotask post runs. When the process dies its session ends and
/// PostgreSQL releases every lock it took at once.
///
/// PostgreSQL's session locks are reentrant, so the tasks of this process
/// queue for a key here, and only the first of them takes it in the database.
public actor ContractServiceLocks {
    private struct Holding {
        /// The session the lock was taken on; a lock of an ended session is already gone.
        var session: Int
        /// Tasks of this process waiting for the key: `true` hands the lock
        /// over, `false` asks them to try again.
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    private let configuration: ConnectionConfiguration
    private var connection: Connection?
    private var session = 0
    private var taken: [String: Holding] = [:]

    public init(configuration: ConnectionConfiguration) {
        self.configuration = configuration
    }

    /// Runs `body` while this process holds the lock named `name`.
    public nonisolated func withLock<Result: Sendable>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        try await acquire(name)
        do {
            let result = try await body()
            await release(name)
            return result
        } catch {
            await release(name)
            throw error
        }
    }

    private func acquire(_ name: String) async throws {
        while taken[name] != nil {
            let handedOver = await withCheckedContinuation { taken[name]!.waiters.append($0) }
            if handedOver { return }
        }
        taken[name] = Holding(session: session)
        do {
            // Assigned after the await: no access to `taken` may span a suspension.
            let session = try await lockInDatabase(name)
            taken[name]?.session = session
        } catch {
            let waiters = taken.removeValue(forKey: name)?.waiters ?? []
            for waiter in waiters { waiter.resume(returning: false) }
            throw error
        }
    }

    /// Waits (without a connection of the caller's) until another process
    /// lets the key go; returns the session that took it.
    private func lockInDatabase(_ name: String) async throws -> Int {
        var pause = Duration.milliseconds(5)
        while true {
            try Task.checkCancellation()
            let (connection, session) = try await currentConnection()
            do {
                let rows = try await connection.query(
                    "SELECT pg_try_advisory_lock(hashtextextended(\(name), 0)) AS locked", name: "try lock contract service",
                    prepared: true)
                if try rows[0].decode("locked", as: Bool.self) { return session }
            } catch let error as PostgresError where error.isConnectionProblem {
                forget(session)
                throw error
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(200))
        }
    }

    private func release(_ name: String) async {
        guard var holding = taken[name] else { return }
        if !holding.waiters.isEmpty {
            let next = holding.waiters.removeFirst()
            taken[name] = holding
            next.resume(returning: true)
            return
        }
        taken[name] = nil
        guard holding.session == session, let connection else { return }
        do {
            try await connection.execute(
                "SELECT pg_advisory_unlock(hashtextextended(\(name), 0))", name: "unlock contract service", prepared: true)
        } catch {
            // An unlock that did not run leaves the lock to the session: end it.
            forget(holding.session)
        }
    }

    private func currentConnection() async throws -> (Connection, Int) {
        if let connection { return (connection, session) }
        let opened = try await Connection.connect(configuration)
        // Another task may have opened one meanwhile: keep that, close this.
        if let connection { return (connection, session) }
        session += 1
        connection = opened
        return (opened, session)
    }

    /// The session ended (or cannot be trusted): its locks are gone with it.
    private func forget(_ ended: Int) {
        guard ended == session else { return }
        connection = nil
        session += 1
    }
}
