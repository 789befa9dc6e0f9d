import Foundation
import NIOConcurrencyHelpers
import Postgres
import TallyCore
import TestSupport
import Testing

/// The write locks: one holder at a time per key, whether the contenders are
/// tasks of one process (one session) or of two; a session that ends frees its keys.
@Suite struct ContractServiceLocksTests {
    /// Counts holders inside a lock and remembers the most seen at once.
    final class Occupancy: Sendable {
        private let state = NIOLockedValueBox((now: 0, most: 0, entries: 0))
        func enter() { state.withLockedValue { $0.now += 1; $0.entries += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLockedValue { $0.now -= 1 } }
        var most: Int { state.withLockedValue { $0.most } }
        var entries: Int { state.withLockedValue { $0.entries } }
    }

    @Test func tasksOfOneProcessAndOfTwoTakeTurns() async throws {
        try await Fixtures.withMigratedDatabase { configuration, _ in
            let first = ContractServiceLocks(configuration: configuration)
            let second = ContractServiceLocks(configuration: configuration)
            let same = Occupancy(), other = Occupancy()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<24 {
                    let locks = index.isMultiple(of: 3) ? second : first
                    group.addTask {
                        try await locks.withLock("key a") {
                            same.enter()
                            // Holding the key for a while is the point: a second holder would overlap.
                            try await Task.sleep(for: .milliseconds(5))
                            same.leave()
                        }
                    }
                    group.addTask {
                        try await locks.withLock("key \(index)") {
                            other.enter()
                            // Holding the key for a while is the point: holders of different keys overlap.
                            try await Task.sleep(for: .milliseconds(50))
                            other.leave()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(same.entries == 24)
            #expect(same.most == 1, "one holder of a key at a time")
            #expect(other.most > 1, "different keys do not wait for each other")
        }
    }

    static let heldHere: SQL = """
        SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """

    /// Sessions (not this one) whose last statement, finished, was a try for
    /// an advisory lock and that hold none: each asked for a held key and was refused.
    static let refusedHere: SQL = """
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock(%'
          AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)
        """

    @Test func aLockIsFreedWhenItsSessionEnds() async throws {
        try await Fixtures.withMigratedDatabase { configuration, db in
            let dying = ContractServiceLocks(configuration: configuration)
            let waiting = ContractServiceLocks(configuration: configuration)
            let holding = Task {
                // Holds the key until its session is ended (or the test ends): the holding is the point.
                try await dying.withLock("key") { try await Task.sleep(for: .seconds(60)) }
            }
            defer { holding.cancel() }
            #expect(try await TestDatabase.waitUntil { try await Fixtures.count(Self.heldHere, on: db) == 1 })
            let started = ContinuousClock.now
            let taken = Task { try await waiting.withLock("key") { ContinuousClock.now } }
            #expect(try await Fixtures.waitFor(Self.refusedHere, toBe: 1, on: db), "the other session asked for the key and was refused")
            let ending = ContinuousClock.now
            try await db.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)
            let at = try await taken.value
            #expect(at > ending, "it waited while the other session held the key")
            #expect(at - started < .seconds(10))
        }
    }
}
