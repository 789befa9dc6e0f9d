import Autotask
import Foundation
@testable import TallyCore
import Testing

/// `SyncPlanner.plan` from hand-made tenants, targets and snapshots: no database, no Autotask.
@Suite("SyncPlanner decides from Tally's data and an Autotask snapshot")
struct SyncPlannerTests {
    static let today = AutotaskDay(year: 2026, month: 3, day: 15)
    static let key = SyncTarget.Key(organizationID: 42, product: "edr")
    static let companyID = 7001
    static let contractID = 100
    static let serviceID = 9
    static let who = "organization “Contoso” (42)"
    static let serviceKey = ContractServiceKey(contractID: contractID, serviceID: serviceID)

    static func tenant(maxDrop: Int = 50, allowZero: Bool = false) -> SyncTenant {
        SyncTenant(
            tenantID: 1, slug: "acme-msp",
            credentials: AutotaskCredentials(userName: "api@acme.example", integrationCode: "IC", secret: "s3cret"),
            today: today, guardMaxDropPercent: maxDrop, guardAllowZero: allowZero, hourlyRequestBudget: 5000,
            stalenessLimit: "2 days", readAt: Date(timeIntervalSince1970: 1_773_561_600))
    }

    static func target(
        name: String? = "Contoso", company: Int? = companyID, contract: Int? = contractID, service: Int? = serviceID,
        usage: Int? = 10, observedAt: Date? = nil, stale: Bool = false
    ) -> SyncTarget {
        SyncTarget(
            key: key, organizationName: name, companyID: company, contractID: contract, serviceID: service,
            usage: usage, usageObservedAt: observedAt, usageIsStale: stale)
    }

    /// A contract that can carry units today.
    static func contract(
        company: Int? = companyID, type: Int? = ContractType.recurringService, status: Int? = ContractStatus.active,
        start: AutotaskDay? = AutotaskDay(year: 2026, month: 1, day: 1), end: AutotaskDay? = AutotaskDay(year: 2026, month: 12, day: 31)
    ) -> Contract {
        Contract(
            id: contractID, companyID: company, contractName: "Managed Security", contractType: type,
            status: status, startDate: start, endDate: end)
    }

    /// `units` nil: the service is on the contract with no unit row (0 units).
    static func snapshot(contract: Contract? = contract(), serviceOnContract: Bool = true, units: Int? = 10) -> AutotaskSnapshot {
        AutotaskSnapshot(
            contracts: contract.map { [$0.id: $0] } ?? [:],
            contractServices: serviceOnContract
                ? [serviceKey: ContractService(id: 500, contractID: contractID, serviceID: serviceID)] : [:],
            units: units.map { [serviceKey: $0] } ?? [:])
    }

    static func plan(
        _ target: SyncTarget?, _ snapshot: AutotaskSnapshot = snapshot(), tenant: SyncTenant = tenant(), approved: Int? = nil
    ) -> SyncPlan {
        SyncPlanner(tenant: tenant).plan(target, key: key, snapshot: snapshot, approvedTarget: approved)
    }

    // MARK: Skipped: Tally's own data is missing or old

    @Test func removedOrganizationIsSkipped() {
        for target in [nil, Self.target(name: nil)] {
            let plan = Self.plan(target)
            #expect(plan.decision == .skip(.organizationRemoved, "organization 42 no longer exists in Tally"))
            #expect(plan.report == SyncReport(reasonCode: "organization_removed"))
            #expect(plan.change == 0)
        }
    }

    @Test func organizationWithoutCompanyNamesBothMapCommands() {
        let plan = Self.plan(Self.target(company: nil, contract: nil))
        #expect(plan.decision == .skip(.organizationNotMapped,
            "\(Self.who) is not mapped to an Autotask contract: map it with `tally map company acme-msp 42 COMPANY_ID`, then `tally map contract`"))
        #expect(plan.report == SyncReport(reasonCode: "organization_not_mapped"))
    }

    @Test func organizationWithoutContractNamesMapContract() {
        let plan = Self.plan(Self.target(contract: nil))
        #expect(plan.decision == .skip(.organizationNotMapped,
            "\(Self.who) is not mapped to an Autotask contract: map it with `tally map contract acme-msp 42 CONTRACT_ID`"))
        #expect(plan.report == SyncReport(reasonCode: "organization_not_mapped"))
    }

    @Test func unmappedProductNamesMapProduct() {
        let plan = Self.plan(Self.target(service: nil))
        #expect(plan.decision == .skip(.productNotMapped,
            "product edr is not mapped to an Autotask service: run `tally map product acme-msp edr SERVICE_ID`"))
        #expect(plan.report == SyncReport(reasonCode: "product_not_mapped", contractID: 100))
    }

    @Test func missingUsageIsSkipped() {
        let plan = Self.plan(Self.target(usage: nil))
        #expect(plan.decision == .skip(.noUsage, "no edr usage is recorded for \(Self.who): import or refresh usage first"))
        #expect(plan.report == SyncReport(reasonCode: "no_usage", contractID: 100, serviceID: 9))
    }

    @Test func staleUsageIsSkippedBeforeAutotaskIsConsulted() throws {
        let observed = try Date("2026-03-12T08:00:00Z", strategy: .iso8601)
        // An empty snapshot: a stale target must not turn into an Autotask failure.
        let plan = Self.plan(Self.target(usage: 3, observedAt: observed, stale: true), AutotaskSnapshot.empty)
        #expect(plan.decision == .skip(.usageStale,
            "the edr usage of \(Self.who) (observed 2026-03-12T08:00:00Z) is older than the tenant's limit of 2 days: refresh usage, then sync again"))
        #expect(plan.report == SyncReport(reasonCode: "usage_stale", contractID: 100, serviceID: 9, targetUnits: 3))

        let unknownTime = Self.plan(Self.target(stale: true))
        guard case .skip(.usageStale, let message) = unknownTime.decision else {
            Issue.record("expected a usage_stale skip, got \(unknownTime.decision)")
            return
        }
        #expect(!message.contains("observed"))
    }

    // MARK: Failed: Autotask holds something a person must fix

    @Test func missingContractFails() {
        let plan = Self.plan(Self.target(), Self.snapshot(contract: nil))
        #expect(plan.decision == .fail(.contractNotFound,
            "contract 100 of \(Self.who) was not found in Autotask (deleted, or the API user cannot see it): map the organization to an existing contract"))
        #expect(plan.report == SyncReport(reasonCode: "contract_not_found", contractID: 100, serviceID: 9, targetUnits: 10))
    }

    static let contractProblems: [(Contract, SyncReason, String)] = [
        (contract(company: 8000), .contractWrongCompany,
         "belongs to company 8000, not to company 7001 that \(who) is mapped to: map \(who) to a contract of its company"),
        (contract(company: nil), .contractWrongCompany, "belongs to company none, not to company 7001"),
        (contract(type: 1), .contractNotRecurring,
         "is not a Recurring Service contract (type 1): map \(who) to a Recurring Service contract"),
        (contract(type: nil), .contractNotRecurring, "(type unknown)"),
        (contract(status: ContractStatus.inactive), .contractInactive,
         "is inactive: activate it in Autotask or map \(who) to an active contract"),
        (contract(status: nil), .contractInactive, "is inactive"),
        (contract(start: AutotaskDay(year: 2026, month: 3, day: 16)), .contractNotStarted,
         "starts on 2026-03-16, after today (2026-03-15): wait for it to start or map \(who) to the current contract"),
        (contract(end: AutotaskDay(year: 2026, month: 3, day: 14)), .contractExpired,
         "ended on 2026-03-14: renew it in Autotask (extend its end date) or map \(who) to the current contract"),
        // Several problems: the company is named first.
        (contract(company: 1, type: 1, status: 0), .contractWrongCompany, "belongs to company 1"),
    ]

    @Test(arguments: 0..<contractProblems.count)
    func unusableContractFails(_ index: Int) {
        let (contract, reason, fragment) = Self.contractProblems[index]
        let plan = Self.plan(Self.target(), Self.snapshot(contract: contract))
        guard case .fail(let got, let message) = plan.decision else {
            Issue.record("expected a failure, got \(plan.decision)")
            return
        }
        #expect(got == reason)
        #expect(message.hasPrefix("contract 100 “Managed Security” "))
        #expect(message.contains(fragment), "\(message)")
        #expect(plan.report == SyncReport(reasonCode: reason.rawValue, contractID: 100, serviceID: 9, targetUnits: 10))
    }

    @Test func contractDatesIncludeBothEnds() {
        let oneDay = Self.contract(start: Self.today, end: Self.today)
        let plan = Self.plan(Self.target(usage: 12), Self.snapshot(contract: oneDay))
        #expect(plan.decision == .adjust(by: 2))
        let open = Self.contract(start: nil, end: nil)
        #expect(Self.plan(Self.target(), Self.snapshot(contract: open)).decision == .unchanged)
    }

    @Test func serviceMissingFromContractFails() {
        let plan = Self.plan(Self.target(), Self.snapshot(serviceOnContract: false))
        #expect(plan.decision == .fail(.serviceNotOnContract,
            "service 9 (product edr) is not on contract 100 “Managed Security” of \(Self.who): add it to the contract in Autotask"))
        // The snapshot still holds units for the pair: without a contract service they do not count.
        #expect(plan.report == SyncReport(reasonCode: "service_not_on_contract", contractID: 100, serviceID: 9, targetUnits: 10))
        let otherService = AutotaskSnapshot(
            contracts: [Self.contractID: Self.contract()],
            contractServices: [ContractServiceKey(contractID: 100, serviceID: 10): ContractService(id: 501, contractID: 100, serviceID: 10)],
            units: [:])
        #expect(Self.plan(Self.target(), otherService).decision.reason == .serviceNotOnContract)
    }

    // MARK: Unchanged and adjusted

    @Test func equalUnitsNeedNoWrite() {
        let plan = Self.plan(Self.target(usage: 10))
        #expect(plan.decision == .unchanged)
        #expect(plan.change == 0)
        #expect(plan.report == SyncReport(
            reasonCode: "unchanged", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 10, unitsAfter: 10))
        // A row of 0 units and a target of 0 is unchanged, not a guard hold.
        #expect(Self.plan(Self.target(usage: 0), Self.snapshot(units: 0)).decision == .unchanged)
    }

    @Test func increasesAreAdjustedByTheDifference() {
        let plan = Self.plan(Self.target(usage: 25))
        #expect(plan.decision == .adjust(by: 15))
        #expect(plan.change == 15)
        #expect(plan.report == SyncReport(
            reasonCode: "adjusted", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 25, unitsAfter: 25))
        let fromNothing = Self.plan(Self.target(usage: 4), Self.snapshot(units: 0))
        #expect(fromNothing.decision == .adjust(by: 4))
        #expect(fromNothing.report.unitsBefore == 0)
    }

    /// Units Autotask answers that are no count (negative, past 2³¹) fail clearly, never trap or post (issue 18).
    @Test func unitsOutsideACountFailInsteadOfBeingAdjusted() {
        for units in [-1, Int(Int32.max) + 1, Int.max, Int.min] {
            let plan = Self.plan(Self.target(usage: 4), Self.snapshot(units: units))
            #expect(plan.decision.reason == .unitsUnknown, "\(units)")
            #expect(plan.change == 0)
            #expect(plan.decision.message?.contains("not a count Tally can bill") == true)
        }
    }

    @Test func aServiceWithNoUnitRowForTodayIsUnknownNeverZero() {
        let plan = Self.plan(Self.target(usage: 4), Self.snapshot(units: nil))
        #expect(plan.decision.reason == .unitsUnknown)
        #expect(plan.change == 0)
        #expect(plan.decision.message?.contains("ContractServiceUnits") == true)
        #expect(plan.decision.message?.contains("2026-03-15") == true)
    }

    @Test func dropsWithinTheGuardAreAdjusted() {
        // 50 % is the guard itself: only more than it is held.
        let plan = Self.plan(Self.target(usage: 5))
        #expect(plan.decision == .adjust(by: -5))
        #expect(plan.report == SyncReport(
            reasonCode: "adjusted", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 5, unitsAfter: 5))
        #expect(Self.plan(Self.target(usage: 1), tenant: Self.tenant(maxDrop: 100)).decision == .adjust(by: -9))
    }

    // MARK: Held by the guard rails, and released by approval

    @Test func dropsOverTheGuardAreHeld() {
        let plan = Self.plan(Self.target(usage: 4))
        #expect(plan.decision == .hold(.guardDrop,
            "edr units of \(Self.who) would drop from 10 to 4 (−60 %), more than the tenant's guard of 50 %: check the usage; approve with `tally jobs approve`"))
        #expect(plan.change == 0)
        #expect(plan.report == SyncReport(reasonCode: "guard_drop", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 4))
        // A guard of 0 %: every drop waits for approval.
        #expect(Self.plan(Self.target(usage: 9), tenant: Self.tenant(maxDrop: 0)).decision.reason == .guardDrop)
    }

    @Test func changeToZeroIsHeldUnlessAllowed() {
        let plan = Self.plan(Self.target(usage: 0))
        #expect(plan.decision == .hold(.guardZero,
            "edr units of \(Self.who) would go from 10 to 0: check the usage; approve with `tally jobs approve`"))
        #expect(plan.report == SyncReport(reasonCode: "guard_zero", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 0))
        // Zero is held even when the drop guard is off.
        #expect(Self.plan(Self.target(usage: 0), tenant: Self.tenant(maxDrop: 100)).decision.reason == .guardZero)
        #expect(Self.plan(Self.target(usage: 0), tenant: Self.tenant(maxDrop: 100, allowZero: true)).decision == .adjust(by: -10))
    }

    @Test func approvalReleasesExactlyTheApprovedTarget() {
        let released = Self.plan(Self.target(usage: 4), approved: 4)
        #expect(released.decision == .adjust(by: -6))
        #expect(released.report == SyncReport(
            reasonCode: "adjusted", contractID: 100, serviceID: 9, unitsBefore: 10, targetUnits: 4, unitsAfter: 4))
        #expect(Self.plan(Self.target(usage: 0), approved: 0).decision == .adjust(by: -10))
        // Usage moved since the approval: the guard checks the new target again.
        #expect(Self.plan(Self.target(usage: 3), approved: 4).decision.reason == .guardDrop)
        #expect(Self.plan(Self.target(usage: 0), approved: 4).decision.reason == .guardZero)
    }

    @Test func approvalDoesNotBypassAutotaskProblems() {
        let expired = Self.snapshot(contract: Self.contract(end: AutotaskDay(year: 2026, month: 1, day: 31)))
        #expect(Self.plan(Self.target(usage: 0), expired, approved: 0).decision.reason == .contractExpired)
        let noService = Self.snapshot(serviceOnContract: false)
        #expect(Self.plan(Self.target(usage: 4), noService, approved: 4).decision.reason == .serviceNotOnContract)
    }

    @Test func reportEncodesWithSnakeCaseKeys() throws {
        let report = Self.plan(Self.target(usage: 4)).report
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["reason_code"] as? String == "guard_drop")
        #expect(json?["units_before"] as? Int == 10)
        #expect(json?["target_units"] as? Int == 4)
        #expect(json?["contract_id"] as? Int == 100 && json?["service_id"] as? Int == 9)
        #expect(json?["units_after"] == nil)
    }

    // MARK: Behaviour that looks questionable (pinned as it is; see the report that came with these tests)

    /// `tally tenant schedule --allow-zero true` says "write a change to 0 units without
    /// approval", but with the default 50 % drop guard a change to 0 is a 100 % drop and is held.
    @Test func allowZeroAloneDoesNotLetAChangeToZeroThrough() {
        let plan = Self.plan(Self.target(usage: 0), tenant: Self.tenant(maxDrop: 50, allowZero: true))
        #expect(plan.decision.reason == .guardDrop)
        #expect(plan.decision.message?.contains("from 10 to 0 (−100 %)") == true)
    }

    /// The hold message rounds the drop: a 50.2 % drop is "−50 %, more than the guard of 50 %".
    @Test func holdMessageRoundsTheDropDownToTheGuard() {
        let plan = Self.plan(Self.target(usage: 498), Self.snapshot(units: 1000))
        #expect(plan.decision.reason == .guardDrop)
        #expect(plan.decision.message?.contains("(−50 %), more than the tenant's guard of 50 %") == true)
    }

    /// Today's behaviour, which issue 17 (point 3) changes: organizations sharing a contract
    /// and service should set the sum of their usage.
    /// The planner compares one organization's usage with the contract's units, so two
    /// organizations at 10 and 5 on a contract that holds 15 each plan a drop.
    static func sharer(_ id: Int64, usage: Int?, stale: Bool = false, removed: Bool = false) -> SyncTarget.Sharer {
        SyncTarget.Sharer(organizationID: id, name: "Site \(id)", usage: usage, stale: stale, removed: removed)
    }

    @Test func organizationsSharingAContractPlanTheSumOfTheirUsage() {
        var target = Self.target(usage: 10)
        target.sharers = [Self.sharer(43, usage: 5)]
        let plan = Self.plan(target, Self.snapshot(units: 12))
        #expect(plan.decision == .adjust(by: 3))
        #expect(plan.report.targetUnits == 15)
        #expect(plan.note?.contains("share is 10 of 15 units") == true)
        #expect(Self.plan(target, Self.snapshot(units: 15)).decision == .unchanged)
        target.sharers.append(Self.sharer(44, usage: 7))
        #expect(Self.plan(target, Self.snapshot(units: 15)).decision == .adjust(by: 7))
    }

    @Test func aSharerWithoutFreshUsageStopsTheWholeContract() {
        var target = Self.target(usage: 10)
        target.sharers = [Self.sharer(43, usage: nil)]
        let missing = Self.plan(target, Self.snapshot(units: 12))
        #expect(missing.decision.reason == .noUsage)
        #expect(missing.decision.message?.contains("(43)") == true)
        target.sharers = [Self.sharer(43, usage: 5, stale: true)]
        #expect(Self.plan(target, Self.snapshot(units: 12)).decision.reason == .usageStale)
    }

    @Test func aSharerGoneFromHuntressCountsZeroAndADropIsHeld() {
        var target = Self.target(usage: 10)
        target.sharers = [Self.sharer(43, usage: 5, removed: true)]
        let plan = Self.plan(target, Self.snapshot(units: 15))
        #expect(plan.decision.reason == .removedFromHuntress)
        #expect(plan.decision.message?.contains("(43)") == true)
        #expect(Self.plan(target, Self.snapshot(units: 15), approved: 10).decision == .adjust(by: -5))
        // A rise is not held: nothing is taken away.
        #expect(Self.plan(target, Self.snapshot(units: 8)).decision == .adjust(by: 2))
    }
}

extension SyncDecision {
    var reason: SyncReason? {
        switch self {
        case .skip(let reason, _), .fail(let reason, _), .hold(let reason, _): reason
        case .unchanged, .adjust: nil
        }
    }

    var message: String? {
        switch self {
        case .skip(_, let message), .fail(_, let message), .hold(_, let message): message
        case .unchanged, .adjust: nil
        }
    }
}
