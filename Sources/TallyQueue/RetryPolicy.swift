/// Exponential back-off with jitter for transient failures.
public struct RetryPolicy: Sendable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(600)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts:
    /// base × 2^(attempt−1), at most `cap`, times a random factor in [0.5, 1]
    /// so that jobs failing together do not retry together. A `retryAfter`
    /// from the other side wins when given.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter { return retryAfter }
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = base.seconds * Double(1 << exponent)
        let capped = min(raw, cap.seconds)
        return .milliseconds(Int64(capped * Double.random(in: 0.5...1.0) * 1000))
    }
}
