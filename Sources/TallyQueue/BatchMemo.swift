import NIOConcurrencyHelpers

/// Values a kind computes once for a claimed batch and reuses for each of its
/// jobs (the sync reads the Autotask data of the whole batch at once). The
/// jobs of a batch run one after another, so a value is made at most once.
public final class BatchMemo: Sendable {
    private let values = NIOLockedValueBox<[String: any Sendable]>([:])

    public init() {}

    public func value<Value: Sendable>(_ key: String, orMake make: () async throws -> Value) async rethrows -> Value {
        if let known = values.withLockedValue({ $0[key] }) as? Value { return known }
        let made = try await make()
        values.withLockedValue { $0[key] = made }
        return made
    }

    /// Replaces a value (e.g. after the batch changed what it had read).
    public func set<Value: Sendable>(_ key: String, _ value: Value) {
        values.withLockedValue { $0[key] = value }
    }
}

/// The JSON report of the running job.
final class ReportBox: Sendable {
    private let text = NIOLockedValueBox<String?>(nil)

    func set(_ value: String?) { text.withLockedValue { $0 = value } }
    var value: String? { text.withLockedValue { $0 } }
}
