public import Autotask

/// Whether a contract can carry an organization's units today (docs/sync.md,
/// "Planning"): the sync and `tally map contract` ask the same.
public enum ContractCheck {
    /// The reason and a sentence that names the fix, or nil when the contract is fine.
    /// `who` names the organization in the fix ("map WHO to …"), nil: "choose …".
    public static func problem(_ contract: Contract, companyID: Int, today: AutotaskDay, who: String?) -> (reason: SyncReason, message: String)? {
        let name = "contract \(contract.id)\(contract.contractName.map { " “\($0)”" } ?? "")"
        let choose = who.map { "map \($0) to" } ?? "choose"
        if contract.companyID != companyID {
            return (.contractWrongCompany,
                    "\(name) belongs to company \(contract.companyID.map(String.init) ?? "none"), not to company \(companyID)\(who.map { " that \($0) is mapped to" } ?? ""): \(choose) a contract of its company")
        }
        if !contract.isRecurringService {
            return (.contractNotRecurring,
                    "\(name) is not a Recurring Service contract (type \(contract.contractType.map(String.init) ?? "unknown")): \(choose) a Recurring Service contract")
        }
        if !contract.isActive {
            return (.contractInactive, "\(name) is inactive: activate it in Autotask or \(choose) an active contract")
        }
        if let start = contract.startDate, today < start {
            return (.contractNotStarted, "\(name) starts on \(start), after today (\(today)): wait for it to start or \(choose) the current contract")
        }
        if let end = contract.endDate, end < today {
            return (.contractExpired, "\(name) ended on \(end): renew it in Autotask (extend its end date) or \(choose) the current contract")
        }
        return nil
    }
}
