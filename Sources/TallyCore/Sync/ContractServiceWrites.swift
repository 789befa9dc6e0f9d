import Autotask
import Foundation
import Postgres
import TallyQueue

/// The bookkeeping of Tally's writes to each contract service
/// (`contract_service_writes`, sql/003 and sql/013): which job wrote last and
/// when, and whether a post is still without an answer.
enum ContractServiceWrites {
    struct Mark {
        /// When another job last wrote here (`infinity` while a write is under way).
        var previousWrite: Date?
        /// When a post here was sent that never got an answer; it has settled (it can no longer land).
        var previousUnanswered: Date?
    }

    /// Marks a write as under way and sent now. Throws `UnansweredWrite` while an
    /// earlier post here is unanswered and younger than `settle`: it may still land.
    static func mark(
        _ key: ContractServiceKey, tenantID: Int64, job: ClaimedJob, worker: UUID, settle: Duration, on connection: Connection
    ) async throws -> Mark {
        let settleSeconds = settle.seconds
        let row = try await connection.query("""
            WITH previous AS (
                SELECT written_at, unanswered_since FROM contract_service_writes
                WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID)
            ),
            lease AS (SELECT 1 WHERE \(fragment: JobQueue.leaseCondition(job, worker: worker))),
            marked AS (
                INSERT INTO contract_service_writes (tenant_id, contract_id, service_id, job_id, written_at, unanswered_since)
                SELECT \(tenantID), \(key.contractID), \(key.serviceID), \(job.jobID), 'infinity', now()
                FROM lease
                WHERE NOT EXISTS (SELECT 1 FROM previous WHERE unanswered_since > now() - make_interval(secs => \(settleSeconds)))
                ON CONFLICT (tenant_id, contract_id, service_id)
                DO UPDATE SET job_id = EXCLUDED.job_id, written_at = 'infinity', unanswered_since = now()
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM lease)::int AS leased, (SELECT count(*) FROM marked)::int AS marked,
                   (SELECT written_at FROM previous) AS previous, (SELECT unanswered_since FROM previous) AS unanswered_since,
                   (SELECT unanswered_since + make_interval(secs => \(settleSeconds)) FROM previous) AS settles_at
            """, name: "mark contract service write")[0]
        guard try row.decode("leased", as: Int.self) == 1 else {
            throw JobFailure.transient("the job's lease ran out before it could write; it will run again")
        }
        let unanswered: Date? = try row.decode("unanswered_since")
        guard try row.decode("marked", as: Int.self) == 1 else {
            throw UnansweredWrite(
                contractID: key.contractID, serviceID: key.serviceID, sentAt: unanswered ?? Date(),
                settlesAt: try row.decode("settles_at") ?? Date())
        }
        return Mark(previousWrite: try row.decode("previous"), previousUnanswered: unanswered)
    }

    /// The job's post here got its answer (or it sent none): nothing is left in flight.
    static func answered(_ key: ContractServiceKey, tenantID: Int64, jobID: Int64, on connection: Connection) async throws {
        try await connection.execute("""
            UPDATE contract_service_writes SET unanswered_since = NULL
            WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID) AND job_id = \(jobID)
            """, name: "mark contract service write answered")
    }

    /// The tenant's contract services with a post that got no answer.
    static func unanswered(tenantID: Int64, on connection: Connection) async throws -> Set<ContractServiceKey> {
        let rows = try await connection.query("""
            SELECT contract_id, service_id FROM contract_service_writes
            WHERE tenant_id = \(tenantID) AND unanswered_since IS NOT NULL
            """, name: "unanswered contract service writes")
        return Set(try rows.map {
            ContractServiceKey(contractID: Int(try $0.decode("contract_id", as: Int64.self)), serviceID: Int(try $0.decode("service_id", as: Int64.self)))
        })
    }
}
