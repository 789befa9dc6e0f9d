/// At most `limit` queue statements (claims and end writes) of one worker
/// process at once; the others wait here, first in, first out. Concurrent
/// claims and ends cost PostgreSQL more CPU than they gain: each walks past
/// the slots and jobs the others hold locked and waits on their tenants'
/// rows. Measured in bench/README.md (issue 19).
actor StatementGate {
    private let limit: Int
    private var inside = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    nonisolated func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await enter()
        do {
            let value = try await body()
            await leave()
            return value
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async {
        guard inside >= limit else {
            inside += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// The permit passes straight to the first waiter.
    private func leave() {
        if waiters.isEmpty {
            inside -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
