import Autotask
import Foundation
import Postgres
import TallyQueue

/// The statements that move a contract note through its states (sql/018):
/// pending while its adjustment is posted, owed once the adjustment has
/// landed (its `contract_note` job enqueued in the same statement), dropped
/// when it did not, posted once Autotask has the note.
enum ContractNoteLedger {
    /// Inserts the draft as a pending note of a tenant that keeps notes, when
    /// `condition` holds; returns `note_id`. For a data-modifying CTE.
    static func insertPending(_ draft: ContractNoteDraft, tenantID: Int64, when condition: SQL = "true") -> SQL {
        """
        INSERT INTO contract_notes (
            tenant_id, contract_id, service_id, contract_name, write_job_id, run_id, organization_id, product,
            units_before, units_after, usage, usage_observed_at, usage_source, sharers, approved_by, effective_date)
        SELECT t.tenant_id, \(Int64(draft.contractID)), \(Int64(draft.serviceID)), \(draft.contractName), \(draft.writeJobID),
               \(draft.runID)::bigint, \(draft.organizationID), \(draft.product), \(draft.unitsBefore)::int, \(draft.unitsAfter),
               \(draft.usage)::int, \(draft.usageObservedAt)::timestamptz, \(draft.usageSource)::text, \(draft.sharers),
               \(draft.approvedBy)::text, \(draft.effectiveDate.description)::date
        FROM tenants t
        WHERE t.tenant_id = \(tenantID) AND t.contract_notes AND \(fragment: condition)
        RETURNING note_id
        """
    }

    /// Enqueues the `contract_note` job of each row of `rows` (a CTE with
    /// `tenant_id`, `note_id`, `state`) that is owed.
    static func enqueueOwed(from rows: String) -> SQL {
        JobQueue.insert(ContractNoteKind.self, arguments: [.noteID], from: """
            SELECT tenant_id, NULL::bigint AS run_id, 'contract_note:' || note_id AS unique_key,
                   \(unescaped: String(JobPriority.scheduled))::smallint AS priority, note_id
            FROM \(unescaped: rows) WHERE state = 'owed'
            """)
    }

    /// The writer's own post was answered (`adjustmentID`) or never sent (nil):
    /// its pending note becomes owed or dropped. For a data-modifying CTE.
    static func settleOwn(noteID: Int64?, tenantID: Int64, adjustmentID: Int?) -> SQL {
        """
        UPDATE contract_notes SET state = CASE WHEN \(adjustmentID.map(Int64.init))::bigint IS NULL THEN 'dropped' ELSE 'owed' END,
               adjustment_id = \(adjustmentID.map(Int64.init))::bigint, resolved_at = now()
        WHERE tenant_id = \(tenantID) AND note_id = \(noteID)::bigint AND state = 'pending'
        RETURNING tenant_id, note_id, state
        """
    }

    /// After a re-read of a contract service's units: of its pending notes
    /// (posts whose answer was lost), the newest whose target Autotask now
    /// holds has landed and becomes owed; the others are dropped. Then the
    /// writer's own draft, if it will post, is recorded pending. Returns the
    /// draft's note id and how many lost posts were found landed.
    static func settleAfterReread(
        _ key: ContractServiceKey, tenantID: Int64, units: Int?, draft: ContractNoteDraft?, on connection: Connection
    ) async throws -> (noteID: Int64?, landed: Int) {
        let own: SQL = draft.map { ", own AS (\(fragment: insertPending($0, tenantID: tenantID)))" } ?? ""
        let row = try await connection.query("""
            WITH pending AS (
                SELECT note_id, units_after FROM contract_notes
                WHERE tenant_id = \(tenantID) AND contract_id = \(Int64(key.contractID)) AND service_id = \(Int64(key.serviceID))
                  AND state = 'pending'
                FOR UPDATE
            ),
            landed AS (SELECT note_id FROM pending WHERE units_after = \(units.map(Int64.init))::bigint ORDER BY note_id DESC LIMIT 1),
            settled AS (
                UPDATE contract_notes n
                SET state = CASE WHEN n.note_id IN (SELECT note_id FROM landed) THEN 'owed' ELSE 'dropped' END, resolved_at = now()
                FROM pending p WHERE n.tenant_id = \(tenantID) AND n.note_id = p.note_id
                RETURNING n.tenant_id, n.note_id, n.state
            ),
            enqueued AS (\(fragment: enqueueOwed(from: "settled")))
            \(fragment: own)
            SELECT \(unescaped: draft == nil ? "NULL::bigint" : "(SELECT note_id FROM own)") AS note_id,
                   (SELECT count(*) FROM settled WHERE state = 'owed')::int AS landed
            """, name: "settle contract notes after re-read")[0]
        return (try row.decode("note_id"), try row.decode("landed"))
    }
}
