import Foundation
import Postgres
import TallyCore
import TallyQueue

/// A pgbench script that does what a worker task does for a batch of no-op
/// jobs, with the workers' own statements: claim, then write the batch's
/// ends and free the slot in one statement. Values the workers pass as parameters come
/// from pgbench variables: the client's id makes its worker id, and the
/// claim answers (as one row, which pgbench keeps with \aset) how many jobs
/// it took, their ids, tenant and slot.
struct PgbenchScript {
    let batch: Int

    private static let worker = UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")!
    private static let workerExpression = "('00000000-0000-0000-0000-' || lpad(:client_id::text, 12, '0'))::uuid"
    private static let tenant: Int64 = 911_000_001
    private static let job: Int64 = 911_000_002
    private static let slot = 911

    var text: String {
        ["\\set claimed_count 0", claim + "\n\\aset", "\\if :claimed_count > 0", finish + ";", "\\endif"]
            .joined(separator: "\n")
    }

    private var claim: String {
        let statement = JobQueue.claimStatement(
            worker: Self.worker, task: 0, batchSize: batch, lease: .seconds(30), kinds: ["noop"], kindsDecideTenant: false)
        let text = Self.substitute(statement)
        guard let tail = text.range(of: "SELECT c.tenant_id AS candidate_tenant,") else {
            fatalError("the claim statement changed: update PgbenchScript")
        }
        return text[..<tail.lowerBound] + """
            SELECT count(claimed.job_id) AS claimed_count,
                   coalesce(array_agg(claimed.job_id ORDER BY claimed.priority DESC, claimed.run_at, claimed.job_id), '{}') AS ids,
                   coalesce(min(claimed.tenant_id), 0) AS tenant, coalesce(min(claimed.slot), 0) AS slot
            FROM candidate c LEFT JOIN claimed ON true
            """
    }

    /// The ends of a whole batch, the claimed ids in place of the batch's.
    private var finish: String {
        let ids = (0..<Int64(batch)).map { Self.job + $0 }
        let ended = ids.map { id in
            EndedJob(ClaimedJob(tenantID: Self.tenant, jobID: id, kind: "noop", uniqueKey: "", runID: nil, priority: 0,
                                attempts: 1, maxAttempts: 8, arguments: "{}", slot: Self.slot),
                     .finished(.succeeded, message: nil))
        }
        let statement = JobQueue.finishStatement(ended, tenantID: Self.tenant, worker: Self.worker, releasing: Self.slot)
        let idArray = "'" + (ids.postgresText ?? "") + "'"
        guard statement.inlined().contains(idArray) else { fatalError("the finish statement changed: update PgbenchScript") }
        return Self.substitute(statement).replacingOccurrences(of: idArray, with: ":ids")
    }

    private static func substitute(_ statement: SQL) -> String {
        statement.inlined()
            .replacingOccurrences(of: "'\(worker.uuidString)'", with: workerExpression)
            .replacingOccurrences(of: "'\(tenant)'", with: ":tenant")
            .replacingOccurrences(of: "'\(slot)'", with: ":slot")
    }
}
