public import Autotask
import Foundation
import Postgres
import TallyQueue

/// Everything the sync jobs of one claimed batch need, read once: the tenant,
/// Tally's data for each organization and product, and the Autotask snapshot
/// of their contracts (one query per entity per 500 contracts).
public struct SyncBatch: Sendable {
    public let tenant: SyncTenant
    public let targets: [SyncTarget.Key: SyncTarget]
    public let snapshot: AutotaskSnapshot
    public let session: AutotaskSession
    /// Runs of the batch whose refresh from Huntress failed, with the error.
    public var refreshErrors: [Int64: String] = [:]
    /// Contract services where a post got no answer: their jobs go through the
    /// writer even when the units look right, to confirm or wait (`ContractServiceWriter`).
    var unanswered: Set<ContractServiceKey> = []

    public var planner: SyncPlanner { SyncPlanner(tenant: tenant) }

    public func plan(_ key: SyncTarget.Key, approvedTarget: Int? = nil, runID: Int64? = nil) -> SyncPlan {
        planner.plan(
            targets[key], key: key, snapshot: snapshot, approvedTarget: approvedTarget, refreshError: runID.flatMap { refreshErrors[$0] })
    }

    /// Reads the batch. Throws `SyncSetupError` for problems of the tenant's
    /// own setup, `JobFailure.deferred` when the budget is spent, and
    /// `AutotaskError` when Autotask refused.
    public static func prepare(
        tenantID: Int64, keys: [SyncTarget.Key], runIDs: [Int64] = [], services: SyncServices
    ) async throws -> SyncBatch {
        let (tenant, targets, refreshErrors, unanswered) = try await services.pool.withConnection { connection in
            let tenant = try await SyncTenant.load(tenantID: tenantID, key: services.secretKey, on: connection)
            return (tenant, try await SyncTarget.load(tenantID: tenantID, keys: keys, on: connection),
                    try await Runs.refreshErrors(tenantID: tenantID, runIDs: runIDs, on: connection),
                    try await ContractServiceWrites.unanswered(tenantID: tenantID, on: connection))
        }
        services.meter.attribute(account: tenant.credentials.account, to: tenantID)
        let session = services.autotask.session(tenant.credentials)
        let contractIDs = Array(Set(targets.values.filter(\.needsAutotask).compactMap(\.contractID))).sorted()
        guard !contractIDs.isEmpty else {
            return SyncBatch(
                tenant: tenant, targets: targets, snapshot: .empty, session: session, refreshErrors: refreshErrors, unanswered: unanswered)
        }
        let chunks = (contractIDs.count + 499) / 500
        try await services.pool.withConnection { connection in
            try await RequestBudget.check(tenantID: tenantID, budget: tenant.hourlyRequestBudget, planned: 3 * chunks, meter: services.meter, on: connection)
        }
        try await DatabaseShare.check(tenant: tenant, session: session, services: services)
        let snapshot = try await AutotaskSnapshot.read(contractIDs: contractIDs, on: tenant.today, session: session)
        return SyncBatch(
            tenant: tenant, targets: targets, snapshot: snapshot, session: session, refreshErrors: refreshErrors, unanswered: unanswered)
    }
}
