/// At most `limit` holders per key at once; waiters are served first in, first out.
/// A waiter whose task is cancelled leaves the line and throws `CancellationError`.
actor ConcurrencyLimiter {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Line {
        var holders = 0
        var waiters: [Waiter] = []
    }

    private let limit: Int
    private var lines: [String: Line] = [:]
    private var nextID: UInt64 = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func withPermit<T: Sendable>(for key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async throws {
        try Task.checkCancellation()
        if lines[key, default: Line()].holders < limit {
            lines[key, default: Line()].holders += 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lines[key, default: Line()].waiters.append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            Task { await self.cancel(id, key) }
        }
    }

    private func cancel(_ id: UInt64, _ key: String) {
        guard let index = lines[key]?.waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = lines[key]!.waiters.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
    }

    private func release(_ key: String) {
        guard var line = lines[key] else { return }
        if line.waiters.isEmpty {
            line.holders -= 1
        } else {
            // The permit passes straight to the first waiter.
            line.waiters.removeFirst().continuation.resume()
        }
        lines[key] = line.holders == 0 && line.waiters.isEmpty ? nil : line
    }
}

extension ConcurrencyLimiter {
    func holders(for key: String) -> Int { lines[key]?.holders ?? 0 }
    func waiting(for key: String) -> Int { lines[key]?.waiters.count ?? 0 }
}
