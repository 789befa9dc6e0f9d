import Autotask

/// Decides what one sync job does, from the tenant, Tally's own data and a
/// snapshot of Autotask (docs/sync.md, "Planning"). It reads and
/// writes nothing, so `tally sync --dry-run` uses it as the jobs do.
public struct SyncPlanner: Sendable {
    public var tenant: SyncTenant

    public init(tenant: SyncTenant) { self.tenant = tenant }

    /// `refreshError`: this run's refresh from Huntress failed; stale usage is skipped with it.
    public func plan(
        _ target: SyncTarget?, key: SyncTarget.Key, snapshot: AutotaskSnapshot, approvedTarget: Int? = nil, refreshError: String? = nil
    ) -> SyncPlan {
        var report = SyncReport()
        func ending(_ decision: SyncDecision, _ reason: SyncReason?, note: String? = nil) -> SyncPlan {
            report.reasonCode = reason?.rawValue
            return SyncPlan(decision: decision, report: report, note: note)
        }
        let org = "organization \(key.organizationID)"
        guard let target, let name = target.organizationName else {
            return ending(.skip(.organizationRemoved, "\(org) no longer exists in Tally"), .organizationRemoved)
        }
        let who = "organization “\(name)” (\(key.organizationID))"
        guard let companyID = target.companyID, let contractID = target.contractID else {
            let fix = target.companyID == nil
                ? "map it with `tally map company \(tenant.slug) \(key.organizationID) COMPANY_ID`, then `tally map contract`"
                : "map it with `tally map contract \(tenant.slug) \(key.organizationID) CONTRACT_ID`"
            return ending(.skip(.organizationNotMapped, "\(who) is not mapped to an Autotask contract: \(fix)"), .organizationNotMapped)
        }
        report.contractID = contractID
        guard let serviceID = target.serviceID else {
            return ending(.skip(.productNotMapped,
                "product \(key.product) is not mapped to an Autotask service: run `tally map product \(tenant.slug) \(key.product) SERVICE_ID`"),
                .productNotMapped)
        }
        report.serviceID = serviceID
        let removedAt = target.removedFromHuntressAt
        guard let usage = removedAt == nil ? target.usage : 0 else {
            return ending(.skip(.noUsage, "no \(key.product) usage is recorded for \(who): import or refresh usage first"), .noUsage)
        }
        report.targetUnits = usage
        if removedAt == nil, target.usageIsStale {
            let seen = target.usageObservedAt.map { " (observed \($0.formatted(.iso8601)))" } ?? ""
            return ending(.skip(.usageStale,
                "the \(key.product) usage of \(who)\(seen) is older than the tenant's limit of \(tenant.stalenessLimit): "
                    + (refreshError.map { "this run could not refresh it (\($0)); fix that, then sync again" } ?? "refresh usage, then sync again")),
                .usageStale)
        }
        let shared = SharedContract(target: target, share: usage, contractID: contractID, who: who, product: key.product)
        if let problem = shared.problem(refreshError: refreshError) {
            return ending(.skip(problem.reason, problem.message), problem.reason)
        }
        let total = shared.total
        report.targetUnits = total
        guard let contract = snapshot.contracts[contractID] else {
            return ending(.fail(.contractNotFound,
                "contract \(contractID) of \(who) was not found in Autotask (deleted, or the API user cannot see it): map the organization to an existing contract"),
                .contractNotFound)
        }
        if let failure = ContractCheck.problem(contract, companyID: companyID, today: tenant.today, who: who) {
            return ending(.fail(failure.reason, failure.message), failure.reason)
        }
        let serviceKey = ContractServiceKey(contractID: contractID, serviceID: serviceID)
        let service = "service \(serviceID) (" + (target.productName.map { "“\($0)”, " } ?? "") + "product \(key.product))"
        let contractWords = "contract \(contractID)" + (contract.contractName.map { " “\($0)”" } ?? "")
        guard snapshot.contractServices[serviceKey] != nil else {
            return ending(.fail(.serviceNotOnContract,
                "\(service) is not on \(contractWords) of \(who): add it to the contract in Autotask"),
                .serviceNotOnContract)
        }
        guard let current = snapshot.units(serviceKey) else {
            let request = AutotaskSession.unitsInForceRequest(contractID: contractID, on: tenant.today)
            return ending(.fail(.unitsUnknown,
                "Autotask has \(service) on \(contractWords) of \(who) but no ContractServiceUnits row that covers \(tenant.today) (\(request) answered none), so its units today are unknown and nothing was posted: check the service's dates on the contract in Autotask, then sync again"),
                .unitsUnknown)
        }
        guard UsageRow.billableUnits.contains(current) else {
            return ending(.fail(.unitsUnknown,
                "Autotask answered \(current) units for service \(serviceID) on contract \(contractID) of \(who), which is not a count Tally can bill (0 to \(UsageRow.billableUnits.upperBound)): nothing was posted; check the contract service in Autotask"),
                .unitsUnknown)
        }
        report.unitsBefore = current
        guard current != total else {
            report.unitsAfter = current
            return ending(.unchanged, .unchanged, note: shared.note)
        }
        if approvedTarget != total, let removedAt, shared.sharers.isEmpty {
            let since = removedAt.formatted(.iso8601)
            return ending(.hold(.removedFromHuntress,
                "\(who) is no longer in Huntress (missing since \(since)): its \(key.product) units would go from \(current) to 0; if its customer left, approve with `tally jobs approve`, else check the organization in Huntress"),
                .removedFromHuntress)
        }
        if approvedTarget != total, total < current, let removed = shared.removedNames {
            return ending(.hold(.removedFromHuntress,
                "\(removed) of contract \(contractID) no longer in Huntress: the \(key.product) units the contract's organizations share would go from \(current) to \(total); if that customer left, approve with `tally jobs approve`, else check the organization in Huntress"),
                .removedFromHuntress)
        }
        if approvedTarget != total, let hold = guardHold(from: current, to: total, who: who, product: key.product) {
            return ending(.hold(hold.0, hold.1 + (shared.note.map { " (\($0))" } ?? "")), hold.0)
        }
        report.unitsAfter = total
        return ending(.adjust(by: total - current), .adjusted, note: shared.note)
    }

    /// A change the guard rails hold for approval, with both numbers.
    private func guardHold(from current: Int, to target: Int, who: String, product: String) -> (SyncReason, String)? {
        let approve = "check the usage; approve with `tally jobs approve`"
        if target == 0, current > 0, !tenant.guardAllowZero {
            return (.guardZero, "\(product) units of \(who) would go from \(current) to 0: \(approve)")
        }
        guard target < current, tenant.guardMaxDropPercent < 100 else { return nil }
        let drop = Double(current - target) * 100 / Double(current)
        guard drop > Double(tenant.guardMaxDropPercent) else { return nil }
        return (.guardDrop,
                "\(product) units of \(who) would drop from \(current) to \(target) (−\(Int(drop.rounded())) %), more than the tenant's guard of \(tenant.guardMaxDropPercent) %: \(approve)")
    }
}
