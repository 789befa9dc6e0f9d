import Autotask
import Foundation
import Postgres
import TallyQueue

/// Posts one adjustment so that a contract service ends at its target, and
/// never twice: it holds the service's lock (`ContractServiceLocks`, no
/// connection of its own) while it writes, marks the write as under way
/// before posting (`ContractServiceWrites`), and re-reads the units first
/// when another job wrote there since this batch read Autotask, or when an
/// earlier post there got no answer (once that post can no longer land).
struct ContractServiceWriter {
    let batch: SyncBatch
    let services: SyncServices
    let job: ClaimedJob
    let workerID: UUID

    /// `decide` turns the units in force into a plan; it is asked again after a re-read.
    func write(_ key: ContractServiceKey, plan: SyncPlan, decide: @Sendable (AutotaskSnapshot) -> SyncPlan) async throws -> SyncPlan {
        let tenantID = batch.tenant.tenantID
        return try await services.locks.withLock("tally contract service \(tenantID):\(key.contractID):\(key.serviceID)") {
            try await writeLocked(key, plan: plan, decide: decide)
        }
    }

    private func writeLocked(
        _ key: ContractServiceKey, plan proposed: SyncPlan, decide: @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> SyncPlan {
        let mark = try await markWrite(key)
        var plan: SyncPlan
        do {
            plan = try await confirm(key, plan: proposed, mark: mark, decide: decide)
        } catch {
            try? await markAnswered(key)  // nothing was sent
            throw error
        }
        if case .adjust(let change) = plan.decision {
            let adjustment = ContractServiceAdjustment(
                contractID: key.contractID, serviceID: key.serviceID, effectiveDate: batch.tenant.today, unitChange: change,
                contractServiceID: batch.snapshot.contractServices[key]?.id)
            do {
                plan.report.adjustmentID = try await batch.session.createContractServiceAdjustment(adjustment)
            } catch let error as AutotaskError where error.provesWriteRefused {
                try await markAnswered(key)
                throw error
            }
            // Any other failure may still land: unanswered_since stays set, and
            // the next write here waits for it to settle, then re-reads.
            batch.snapshot.setUnits(plan.report.unitsAfter, for: key)
        }
        try await markAnswered(key)
        return plan
    }

    /// Re-reads the units when another job wrote here since the batch read them,
    /// or when an earlier post here got no answer (it has settled by now).
    private func confirm(
        _ key: ContractServiceKey, plan: SyncPlan, mark: ContractServiceWrites.Mark, decide: @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> SyncPlan {
        let tenant = batch.tenant
        guard mark.previousUnanswered != nil || (mark.previousWrite.map { $0 >= tenant.readAt } ?? false) else { return plan }
        try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 2, meter: services.meter, on: connection)
        }
        let units = try await batch.session.unitsInForce(contractIDs: [key.contractID], on: tenant.today)
        batch.snapshot.setUnits(units[key], for: key)
        var plan = decide(batch.snapshot)
        if let sent = mark.previousUnanswered, plan.decision == .unchanged {
            plan.note = "adjustment confirmed by re-read: a post sent at \(sent.formatted(.iso8601)) got no answer, and Autotask now holds the target"
                + (plan.note.map { "; \($0)" } ?? "")
        }
        return plan
    }

    private func markWrite(_ key: ContractServiceKey) async throws -> ContractServiceWrites.Mark {
        let tenant = batch.tenant
        return try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 1, meter: services.meter, on: connection)
            return try await ContractServiceWrites.mark(
                key, tenantID: tenant.tenantID, job: job, worker: workerID, settle: services.unansweredWriteSettles, on: connection)
        }
    }

    private func markAnswered(_ key: ContractServiceKey) async throws {
        try await services.pool.withConnection { connection in
            try await ContractServiceWrites.answered(key, tenantID: batch.tenant.tenantID, jobID: job.jobID, on: connection)
        }
    }
}
