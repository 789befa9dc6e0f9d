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
/// Each adjustment's audit note is recorded pending with the mark and owed
/// once the adjustment is known to have landed (`ContractNoteLedger`).
struct ContractServiceWriter {
    let batch: SyncBatch
    let services: SyncServices
    let job: ClaimedJob
    let workerID: UUID

    /// `decide` turns the units in force into a plan; it is asked again after a
    /// re-read. `note` drafts the audit note of a plan that adjusts.
    func write(
        _ key: ContractServiceKey, plan: SyncPlan, note: @escaping @Sendable (SyncPlan) -> ContractNoteDraft?,
        decide: @escaping @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> SyncPlan {
        let tenantID = batch.tenant.tenantID
        return try await services.locks.withLock("tally contract service \(tenantID):\(key.contractID):\(key.serviceID)") {
            try await writeLocked(key, plan: plan, note: note, decide: decide)
        }
    }

    private func writeLocked(
        _ key: ContractServiceKey, plan proposed: SyncPlan, note: @Sendable (SyncPlan) -> ContractNoteDraft?,
        decide: @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> SyncPlan {
        let mark = try await markWrite(key, draft: note(proposed))
        var plan = proposed
        var noteID = mark.noteID
        do {
            if mark.needsReread { (plan, noteID) = try await reread(key, mark: mark, note: note, decide: decide) }
        } catch {
            try? await markAnswered(key, noteID: noteID, adjustmentID: nil)  // nothing was sent
            throw error
        }
        if case .adjust(let change) = plan.decision {
            let adjustment = ContractServiceAdjustment(
                contractID: key.contractID, serviceID: key.serviceID, effectiveDate: batch.tenant.today, unitChange: change,
                contractServiceID: batch.snapshot.contractServices[key]?.id)
            do {
                plan.report.adjustmentID = try await batch.session.createContractServiceAdjustment(adjustment)
            } catch let error as AutotaskError where error.provesWriteRefused {
                try await markAnswered(key, noteID: noteID, adjustmentID: nil)
                throw error
            }
            // Any other failure may still land: unanswered_since stays set (and the
            // note pending), and the next write here waits for it to settle, then re-reads.
            batch.snapshot.setUnits(plan.report.unitsAfter, for: key)
        }
        try await markAnswered(key, noteID: noteID, adjustmentID: plan.report.adjustmentID)
        return plan
    }

    /// Reads the units again (another job wrote here since the batch read them,
    /// or an earlier post here got no answer and has settled by now), settles
    /// the notes of lost posts by what Autotask now holds, and plans again.
    private func reread(
        _ key: ContractServiceKey, mark: ContractServiceWrites.Mark, note: @Sendable (SyncPlan) -> ContractNoteDraft?,
        decide: @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> (SyncPlan, noteID: Int64?) {
        let tenant = batch.tenant
        try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 2, meter: services.meter, on: connection)
        }
        let units = try await batch.session.unitsInForce(contractIDs: [key.contractID], on: tenant.today)
        batch.snapshot.setUnits(units[key], for: key)
        var plan = decide(batch.snapshot)
        let settled = try await services.pool.withConnection { connection in
            try await ContractNoteLedger.settleAfterReread(key, tenantID: tenant.tenantID, units: units[key], draft: note(plan), on: connection)
        }
        if let sent = mark.previousUnanswered, plan.decision == .unchanged {
            plan.note = "adjustment confirmed by re-read: a post sent at \(sent.formatted(.iso8601)) got no answer, and Autotask now holds the target"
                + (plan.note.map { "; \($0)" } ?? "")
        }
        return (plan, settled.noteID)
    }

    private func markWrite(_ key: ContractServiceKey, draft: ContractNoteDraft?) async throws -> ContractServiceWrites.Mark {
        let tenant = batch.tenant
        return try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 1, meter: services.meter, on: connection)
            return try await ContractServiceWrites.mark(
                key, tenantID: tenant.tenantID, job: job, worker: workerID, settle: services.unansweredWriteSettles,
                readAt: tenant.readAt, draft: draft, on: connection)
        }
    }

    /// Records the answer, retried on a deadlock: enqueueing the note's job meets
    /// concurrent claims of the tenant on the queue's rows, and a post that landed
    /// must not end its job as failed (its retry would wait for it to settle).
    private func markAnswered(_ key: ContractServiceKey, noteID: Int64?, adjustmentID: Int?) async throws {
        var deadlocks = 0
        while true {
            do {
                return try await services.pool.withConnection { connection in
                    try await ContractServiceWrites.answered(
                        key, tenantID: batch.tenant.tenantID, jobID: job.jobID, noteID: noteID, adjustmentID: adjustmentID, on: connection)
                }
            } catch let error as PostgresError where error.sqlState == "40P01" && deadlocks < 5 {
                deadlocks += 1
                try await Task.sleep(for: .milliseconds(10 * deadlocks))
            }
        }
    }
}
