import Foundation
import Postgres
import TestSupport
import Testing

@Suite("LISTEN/NOTIFY and the connection pool")
struct NotificationAndPoolTests {
    @Test func notifyArrivesWithin100msOfCommit() async throws {
        try await TestDatabase.withFresh { configuration in
            let listener = try await Connection.connect(configuration)
            let sender = try await Connection.connect(configuration)
            try await listener.listen("jobs ready")
            // Whether the wait starts before or after the commit, LISTEN has
            // registered the channel, so the notification is delivered.
            let waiting = Task { try await listener.notifications(timeout: .seconds(5)) }
            let committed = try await sender.withTransaction { tx in
                try await tx.notify("jobs ready", payload: "tenant 7")
                return ContinuousClock.now
            }
            let received = try await waiting.value
            let latency = ContinuousClock.now - committed
            #expect(received == [.init(channel: "jobs ready", payload: "tenant 7", senderPID: sender.backendPID)])
            #expect(latency < .milliseconds(100))
        }
    }

    @Test func waitingTimesOutEmptyAndCanBeCancelled() async throws {
        try await TestDatabase.withFresh { configuration in
            let listener = try await Connection.connect(configuration)
            try await listener.listen("quiet")
            #expect(try await listener.notifications(timeout: .milliseconds(50)).isEmpty)
            let waiting = Task { try await listener.notifications(timeout: .seconds(30)) }
            // Most likely cancels the wait in its poll; cancelled earlier, it throws just the same.
            try await Task.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            // Still usable afterwards.
            try await listener.notify("quiet", payload: "self")
            #expect(try await listener.notifications(timeout: .seconds(2)).map(\.payload) == ["self"])
        }
    }

    @Test func poolReplacesAConnectionTheServerTerminated() async throws {
        try await TestDatabase.withFresh { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 1)
            let firstPID = try await pool.withConnection { $0.backendPID }
            let admin = try await Connection.connect(configuration)
            try await admin.execute("SELECT pg_terminate_backend(\(Int(firstPID)))")
            #expect(try await TestDatabase.waitUntil {
                let rows = try await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = \(Int(firstPID))")
                return try rows[0].decode("n", as: Int.self) == 0
            })
            let (secondPID, one) = try await pool.withConnection { connection in
                (connection.backendPID, try await connection.query("SELECT 1 AS one")[0].decode("one", as: Int.self))
            }
            #expect(one == 1)
            #expect(secondPID != firstPID)
            #expect(pool.openConnections == 1)
        }
    }

    @Test func poolNeverOpensMoreThanItsBound() async throws {
        try await TestDatabase.withFresh { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 3)
            let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            try await connection.execute("SELECT pg_sleep(0.02)")
                            return connection.backendPID
                        }
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            #expect(pids.count <= 3)
            #expect(pool.openConnections <= 3)
        }
    }

    @Test func aConnectionReturnedMidTransactionIsDiscarded() async throws {
        struct Abandon: Error {}
        try await TestDatabase.withFresh { configuration in
            let pool = ConnectionPool(configuration: configuration, maximumConnections: 1)
            var abandonedPID: Int32 = 0
            await #expect(throws: Abandon.self) {
                try await pool.withConnection { connection in
                    abandonedPID = connection.backendPID
                    try await connection.execute("BEGIN")
                    throw Abandon()
                }
            }
            let pid = try await pool.withConnection { $0.backendPID }
            #expect(pid != abandonedPID)
        }
    }
}
