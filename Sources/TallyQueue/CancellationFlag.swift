import NIOConcurrencyHelpers

/// Set once when a job must stop (operator cancel or shutdown deadline).
final class CancellationFlag: Sendable {
    private let flag = NIOLockedValueBox(false)
    var isSet: Bool { flag.withLockedValue { $0 } }
    func set() { flag.withLockedValue { $0 = true } }
}
