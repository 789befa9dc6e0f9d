import Autotask

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
    /// Said of a success, when how it succeeded is worth keeping.
    public var note: String? = nil

    /// The contract service the writer must handle: the plan adjusts it, or finds it
    /// right while an earlier post there is unanswered (to confirm, or wait for it).
    func writeKey(unanswered: Set<ContractServiceKey>) -> ContractServiceKey? {
        guard let contractID = report.contractID, let serviceID = report.serviceID else { return nil }
        let key = ContractServiceKey(contractID: contractID, serviceID: serviceID)
        switch decision {
        case .adjust: return key
        case .unchanged: return unanswered.contains(key) ? key : nil
        default: return nil
        }
    }

    /// The change in units the plan makes (0 unless it adjusts).
    public var change: Int {
        if case .adjust(let by) = decision { return by }
        return 0
    }
}
