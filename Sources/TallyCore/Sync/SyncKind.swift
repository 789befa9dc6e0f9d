public import Autotask
import Foundation
public import TallyQueue

/// The `sync` job: make the units of one product on one organization's
/// contract equal its usage (docs/sync.md). The jobs of a claimed
/// batch share one read of Autotask; each change is one adjustment.
public struct SyncKind: JobKind {
    public typealias Arguments = SyncArguments
    public typealias Report = SyncReport
    public static let name = "sync"
    /// Writes each sync job's `results` row in the statement that ends the job,
    /// whatever ended it (sql/003, `tally_record_sync_result`).
    public static let resultTrigger = "jobs_record_sync_result"

    let services: SyncServices

    public init(services: SyncServices) { self.services = services }

    public func run(_ arguments: SyncArguments, context: JobContext) async throws -> JobOutcome {
        let key = SyncTarget.Key(organizationID: arguments.organizationID, product: arguments.product)
        let batch: SyncBatch
        do {
            batch = try await context.memo.value("sync.batch") { await prepare(context) }.get()
        } catch {
            throw failure(for: error, context: context)
        }
        try context.checkpoint()
        var plan = batch.plan(key, approvedTarget: arguments.approvedTarget, runID: context.job.runID)
        if let serviceKey = plan.writeKey(unanswered: batch.unanswered) {
            do {
                let writer = ContractServiceWriter(batch: batch, services: services, job: context.job, workerID: context.workerID)
                let job = (id: context.job.jobID, runID: context.job.runID)
                let note: @Sendable (SyncPlan) -> ContractNoteDraft? = { plan in
                    ContractNoteDraft(
                        plan: plan, target: batch.targets[key], key: serviceKey, job: job, approvedBy: arguments.approvedBy, batch: batch)
                }
                plan = try await writer.write(serviceKey, plan: plan, note: note) { snapshot in
                    SyncPlanner(tenant: batch.tenant).plan(
                        batch.targets[key], key: key, snapshot: snapshot, approvedTarget: arguments.approvedTarget)
                }
            } catch {
                var known = plan.report
                known.unitsAfter = nil
                throw failure(for: error, context: context, known: known)
            }
        }
        report(plan.report, in: context)
        switch plan.decision {
        case .skip(_, let message):
            return .skipped(message)
        case .fail(_, let message):
            throw JobFailure.permanent(message)
        case .hold(_, let message):
            return .held(message)
        case .unchanged, .adjust:
            return plan.note.map(JobOutcome.noted) ?? .succeeded
        }
    }

    /// Reads the batch once; a failure is kept too, so the batch's other jobs
    /// end the same way without asking Autotask again.
    private func prepare(_ context: JobContext) async -> Result<SyncBatch, any Error> {
        let keys = context.batchArguments(of: Self.self).map {
            SyncTarget.Key(organizationID: $0.organizationID, product: $0.product)
        }
        do {
            let runIDs = Array(Set(context.batch.compactMap(\.runID)))
            return .success(try await SyncBatch.prepare(tenantID: context.job.tenantID, keys: keys, runIDs: runIDs, services: services))
        } catch {
            return .failure(error)
        }
    }

    /// The queue's view of a failure; the report keeps what was `known` and names the reason.
    private func failure(for error: any Error, context: JobContext, known: SyncReport = SyncReport()) -> any Error {
        var report = known
        let (queued, reasonCode) = WorkFailure.classify(error)
        if let reasonCode { report.reasonCode = reasonCode }
        self.report(report, in: context)
        return queued
    }
}

extension AutotaskError.Reason {
    /// The reason as stored with results, in the same style as `SyncReason` (e.g. `missing_permission`).
    public var snakeCased: String { ReasonCode.snakeCased(rawValue) }
}

/// Reason codes as stored (results, reports): snake case.
enum ReasonCode {
    static func snakeCased(_ camelCase: String) -> String {
        camelCase.reduce(into: "") { text, character in
            if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
        }
    }
}
