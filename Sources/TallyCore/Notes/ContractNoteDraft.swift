import Autotask
import Foundation

/// What the audit note of one adjustment will say, as the writer knows it
/// before it posts (stored 'pending' with the write's mark, sql/018).
struct ContractNoteDraft: Sendable, Equatable {
    var contractID: Int
    var serviceID: Int
    var contractName: String?
    var writeJobID: Int64
    var runID: Int64?
    var organizationID: Int64
    var product: String
    var unitsBefore: Int?
    var unitsAfter: Int
    var usage: Int?
    var usageObservedAt: Date?
    var usageSource: String?
    var sharers: Int
    var approvedBy: String?
    var effectiveDate: AutotaskDay
}

extension ContractNoteDraft {
    /// The draft of a plan that adjusts; nil when the plan posts nothing.
    init?(plan: SyncPlan, target: SyncTarget?, key: ContractServiceKey, job: (id: Int64, runID: Int64?), approvedBy: String?, batch: SyncBatch) {
        guard case .adjust = plan.decision, let after = plan.report.unitsAfter, let target else { return nil }
        self.init(
            contractID: key.contractID, serviceID: key.serviceID, contractName: batch.snapshot.contracts[key.contractID]?.contractName,
            writeJobID: job.id, runID: job.runID, organizationID: target.key.organizationID, product: target.key.product,
            unitsBefore: plan.report.unitsBefore, unitsAfter: after, usage: target.usage, usageObservedAt: target.usageObservedAt,
            usageSource: target.usageSource, sharers: target.sharers.count, approvedBy: approvedBy, effectiveDate: batch.tenant.today)
    }
}
