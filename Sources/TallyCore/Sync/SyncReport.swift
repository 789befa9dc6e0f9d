/// What a sync job found and did; stored as the job's report, from which the
/// result row is written (sql/003, `tally_record_sync_result`).
public struct SyncReport: Codable, Sendable, Hashable {
    /// A stable code for machines (see `SyncReason`); nil when it simply worked.
    public var reasonCode: String?
    public var contractID: Int?
    public var serviceID: Int?
    public var unitsBefore: Int?
    public var targetUnits: Int?
    public var unitsAfter: Int?
    public var adjustmentID: Int?

    public init(
        reasonCode: String? = nil, contractID: Int? = nil, serviceID: Int? = nil, unitsBefore: Int? = nil,
        targetUnits: Int? = nil, unitsAfter: Int? = nil, adjustmentID: Int? = nil
    ) {
        self.reasonCode = reasonCode
        self.contractID = contractID
        self.serviceID = serviceID
        self.unitsBefore = unitsBefore
        self.targetUnits = targetUnits
        self.unitsAfter = unitsAfter
        self.adjustmentID = adjustmentID
    }

    enum CodingKeys: String, CodingKey {
        case reasonCode = "reason_code"
        case contractID = "contract_id"
        case serviceID = "service_id"
        case unitsBefore = "units_before"
        case targetUnits = "target_units"
        case unitsAfter = "units_after"
        case adjustmentID = "adjustment_id"
    }
}

/// Reason codes of sync results that are not Autotask errors (those use
/// `AutotaskError.Reason`).
public enum SyncReason: String, Sendable, CaseIterable {
    case unchanged
    case adjusted
    case organizationRemoved = "organization_removed"
    /// Gone from Huntress's list: its target is 0, held until a person approves.
    case removedFromHuntress = "removed_from_huntress"
    case organizationNotMapped = "organization_not_mapped"
    case productNotMapped = "product_not_mapped"
    case noUsage = "no_usage"
    case usageStale = "usage_stale"
    case contractNotFound = "contract_not_found"
    case contractWrongCompany = "contract_wrong_company"
    case contractNotRecurring = "contract_not_recurring"
    case contractInactive = "contract_inactive"
    case contractNotStarted = "contract_not_started"
    case contractExpired = "contract_expired"
    case serviceNotOnContract = "service_not_on_contract"
    /// The service is on the contract, but no unit row covers today: never read as 0.
    case unitsUnknown = "units_unknown"
    /// An earlier post here got no answer: the job waits for it to settle, then re-reads.
    case writeUnanswered = "write_unanswered"
    case guardZero = "guard_zero"
    case guardDrop = "guard_drop"
    case budgetExhausted = "budget_exhausted"
    /// The Autotask database's own hourly count (every integration's) is past the tenant's share.
    case autotaskBusy = "autotask_busy"
    case missingSecret = "missing_secret"
}
