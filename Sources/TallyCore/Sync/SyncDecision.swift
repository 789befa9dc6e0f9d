/// What a sync job will do for one organization and product.
public enum SyncDecision: Sendable, Equatable {
    /// Nothing to sync (not mapped, no usage, stale usage).
    case skip(SyncReason, String)
    /// Autotask holds something wrong that a person must fix.
    case fail(SyncReason, String)
    /// The change is larger than the tenant's guard rails allow without approval.
    case hold(SyncReason, String)
    case unchanged
    case adjust(by: Int)
}

/// A decision with the numbers behind it.
public struct SyncPlan: Sendable, Equatable {
    public var decision: SyncDecision
    public var report: SyncReport

    /// The change in units the plan makes (0 unless it adjusts).
    public var change: Int {
        if case .adjust(let by) = decision { return by }
        return 0
    }
}
