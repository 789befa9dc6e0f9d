import Autotask
import Foundation
import Postgres
import TallyQueue

/// Posts one adjustment so that a contract service ends at its target, and
/// never twice: it holds the service's lock (`ContractServiceLocks`, no
/// connection of its own) while it writes, marks the write as under way
/// before posting (see `contract_service_writes` in sql/003), and re-reads
/// the units first when another job wrote there since this batch read Autotask.
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
        _ key: ContractServiceKey, plan: SyncPlan, decide: @Sendable (AutotaskSnapshot) -> SyncPlan
    ) async throws -> SyncPlan {
        let tenant = batch.tenant
        // The budget is read once the lock is taken (it may have been waited for).
        let intent = try await services.pool.withConnection { connection in
            try await RequestBudget.check(
                tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 1, meter: services.meter, on: connection)
            return try await connection.query("""
                WITH previous AS (
                    SELECT written_at FROM contract_service_writes
                    WHERE tenant_id = \(tenant.tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID)
                ),
                marked AS (
                    INSERT INTO contract_service_writes (tenant_id, contract_id, service_id, job_id, written_at)
                    SELECT \(tenant.tenantID), \(key.contractID), \(key.serviceID), \(job.jobID), 'infinity'
                    WHERE \(fragment: JobQueue.leaseCondition(job, worker: workerID))
                    ON CONFLICT (tenant_id, contract_id, service_id) DO UPDATE SET job_id = EXCLUDED.job_id, written_at = 'infinity'
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM marked)::int AS leased, (SELECT written_at FROM previous) AS previous
                """, name: "mark contract service write")[0]
        }
        guard try intent.decode("leased", as: Int.self) == 1 else {
            throw JobFailure.transient("the job's lease ran out before it could write; it will run again")
        }
        var plan = plan
        if let previous: Date = try intent.decode("previous"), previous >= tenant.readAt {
            try await services.pool.withConnection { connection in
                try await RequestBudget.check(
                    tenantID: tenant.tenantID, budget: tenant.hourlyRequestBudget, planned: 2, meter: services.meter, on: connection)
            }
            let units = try await batch.session.unitsInForce(contractIDs: [key.contractID], on: tenant.today)
            batch.snapshot.setUnits(units[key] ?? 0, for: key)
            plan = decide(batch.snapshot)
        }
        if case .adjust(let change) = plan.decision {
            let adjustment = ContractServiceAdjustment(
                contractID: key.contractID, serviceID: key.serviceID, effectiveDate: tenant.today, unitChange: change,
                contractServiceID: batch.snapshot.contractServices[key]?.id)
            // When the post fails it may still have landed: written_at stays
            // 'infinity', so whichever job writes here next re-reads first.
            plan.report.adjustmentID = try await batch.session.createContractServiceAdjustment(adjustment)
            batch.snapshot.setUnits(plan.report.unitsAfter ?? 0, for: key)
        }
        return plan
    }
}
