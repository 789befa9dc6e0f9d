public import Foundation

/// How a worker hands a job back to the queue.
public enum JobEnd: Sendable, Equatable {
    /// A final state: succeeded, skipped or held (with its reason), failed (with its error), cancelled.
    case finished(FinalState, message: String?)
    /// Back to `queued` to run `after` from now (the database's clock); the attempt stays used.
    case retry(after: Duration, error: String)
    /// Back to `queued` to run at `until`; the attempt is given back.
    case deferred(until: Date, reason: String)
    /// Back to `queued` now, the attempt given back (shutdown, or never started).
    case handedBack

    public enum FinalState: String, Sendable {
        case succeeded, failed, skipped, held, cancelled
    }

    /// One word for logs and metrics: the final state, or retried, deferred, handed_back.
    public var label: String {
        switch self {
        case .finished(let state, _): state.rawValue
        case .retry: "retried"
        case .deferred: "deferred"
        case .handedBack: "handed_back"
        }
    }
}
