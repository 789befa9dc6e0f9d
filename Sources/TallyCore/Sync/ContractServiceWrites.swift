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
        /// The units must be read again before writing: another job wrote here since the
        /// batch read them, an earlier post got no answer, or a lost post's note is unsettled.
        var needsReread: Bool
        /// The write's pending audit note, when it was recorded with the mark (no re-read needed).
        var noteID: Int64?
    }

    /// Marks a write as under way and sent now. Throws `UnansweredWrite` while an
    /// earlier post here is unanswered and younger than `settle`: it may still land.
    /// `draft`: the audit note of the planned adjustment, recorded pending unless a re-read comes first.
    static func mark(
        _ key: ContractServiceKey, tenantID: Int64, job: ClaimedJob, worker: UUID, settle: Duration, readAt: Date,
        draft: ContractNoteDraft?, on connection: Connection
    ) async throws -> Mark {
        let settleSeconds = settle.seconds
        let note: SQL = draft.map {
            ", note AS (\(fragment: ContractNoteLedger.insertPending($0, tenantID: tenantID, when: "EXISTS (SELECT 1 FROM marked) AND NOT (SELECT needed FROM reread)")))"
        } ?? ""
        let row = try await connection.query("""
            WITH previous AS (
                SELECT written_at, unanswered_since FROM contract_service_writes
                WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID)
            ),
            reread AS (
                SELECT EXISTS (SELECT 1 FROM previous WHERE unanswered_since IS NOT NULL OR written_at >= \(readAt))
                    OR EXISTS (SELECT 1 FROM contract_notes
                               WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID)
                                 AND state = 'pending') AS needed
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
            \(fragment: note)
            SELECT (SELECT count(*) FROM lease)::int AS leased, (SELECT count(*) FROM marked)::int AS marked,
                   (SELECT needed FROM reread) AS reread, \(unescaped: draft == nil ? "NULL::bigint" : "(SELECT note_id FROM note)") AS note_id,
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
        return Mark(
            previousWrite: try row.decode("previous"), previousUnanswered: unanswered, needsReread: try row.decode("reread"),
            noteID: try row.decode("note_id"))
    }

    /// The job's post here got its answer (or it sent none): nothing is left in
    /// flight. Its pending note (`noteID`) becomes owed when the post made
    /// `adjustmentID`, else dropped.
    static func answered(
        _ key: ContractServiceKey, tenantID: Int64, jobID: Int64, noteID: Int64?, adjustmentID: Int?, on connection: Connection
    ) async throws {
        guard let noteID else {
            try await connection.execute("""
                UPDATE contract_service_writes SET unanswered_since = NULL
                WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID) AND job_id = \(jobID)
                """, name: "mark contract service write answered")
            return
        }
        _ = try await connection.query("""
            WITH cleared AS (
                UPDATE contract_service_writes SET unanswered_since = NULL
                WHERE tenant_id = \(tenantID) AND contract_id = \(key.contractID) AND service_id = \(key.serviceID) AND job_id = \(jobID)
                RETURNING 1
            ),
            settled AS (\(fragment: ContractNoteLedger.settleOwn(noteID: noteID, tenantID: tenantID, adjustmentID: adjustmentID))),
            enqueued AS (\(fragment: ContractNoteLedger.enqueueOwed(from: "settled")))
            SELECT (SELECT count(*) FROM cleared)::int AS cleared
            """, name: "mark contract service write answered with its note")
    }

    /// The tenant's contract services with a post that got no answer, or whose
    /// audit note waits for a re-read to tell whether its post landed.
    static func unanswered(tenantID: Int64, on connection: Connection) async throws -> Set<ContractServiceKey> {
        let rows = try await connection.query("""
            SELECT contract_id, service_id FROM contract_service_writes
            WHERE tenant_id = \(tenantID) AND unanswered_since IS NOT NULL
            UNION
            SELECT contract_id, service_id FROM contract_notes
            WHERE tenant_id = \(tenantID) AND state = 'pending'
            """, name: "unanswered contract service writes")
        return Set(try rows.map {
            ContractServiceKey(contractID: Int(try $0.decode("contract_id", as: Int64.self)), serviceID: Int(try $0.decode("service_id", as: Int64.self)))
        })
    }
}
