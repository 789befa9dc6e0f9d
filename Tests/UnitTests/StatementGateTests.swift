import NIOConcurrencyHelpers
@testable import TallyQueue
import Testing

/// A worker's claims and end writes pass one at a time (issue 19).
@Suite("Statement gate")
struct StatementGateTests {
    /// How many bodies are inside now, and the most there ever were.
    final class Occupancy: Sendable {
        private let counts = NIOLockedValueBox((now: 0, most: 0))
        func enter() { counts.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { counts.withLockedValue { $0.now -= 1 } }
        var most: Int { counts.withLockedValue { $0.most } }
    }

    @Test(arguments: [1, 3])
    func neverMoreThanItsLimitInsideAndEveryoneGetsThrough(limit: Int) async throws {
        let gate = StatementGate(limit: limit)
        let occupancy = Occupancy()
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await gate.withPermit {
                        occupancy.enter()
                        defer { occupancy.leave() }
                        try await Task.sleep(for: .milliseconds(5))
                        return index
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(finished.sorted() == Array(0..<20))
        #expect(occupancy.most == limit)
    }

    struct Refused: Error {}

    @Test func aBodyThatThrowsGivesItsPermitBack() async throws {
        let gate = StatementGate(limit: 1)
        await #expect(throws: Refused.self) {
            try await gate.withPermit { throw Refused() }
        }
        // With the permit lost this would wait for ever; the time limit turns that into a failure.
        let answer = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask { await gate.withPermit { 42 } }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(answer == 42)
    }
}
