/// Where a worker reports what it claims and how its jobs end. The queue
/// records nothing itself; the process that builds the worker decides where
/// the figures go (Tally's processes: Prometheus, through TallyCore).
public struct QueueMetrics: Sendable {
    public var claimed: @Sendable (_ kind: String, _ count: Int) -> Void
    public var claimDuration: @Sendable (Duration) -> Void
    public var ended: @Sendable (_ kind: String, _ end: JobEnd) -> Void

    public init(
        claimed: @escaping @Sendable (_ kind: String, _ count: Int) -> Void,
        claimDuration: @escaping @Sendable (Duration) -> Void,
        ended: @escaping @Sendable (_ kind: String, _ end: JobEnd) -> Void
    ) {
        self.claimed = claimed
        self.claimDuration = claimDuration
        self.ended = ended
    }

    /// Records nothing.
    public static let none = QueueMetrics(claimed: { _, _ in }, claimDuration: { _ in }, ended: { _, _ in })
}
