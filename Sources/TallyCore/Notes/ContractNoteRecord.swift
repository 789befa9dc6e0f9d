import Foundation
import Postgres
import TallyQueue

/// A contract note as the `contract_note` job reads it: the row of sql/018
/// with the names its text needs.
struct ContractNoteRecord: Sendable {
    var noteID: Int64
    var tenantSlug: String
    var state: String
    var contractID: Int
    var serviceID: Int
    var contractName: String?
    var runID: Int64?
    var runTrigger: String?
    var runDueAt: Date?
    var runRequestedBy: String?
    var organizationID: Int64
    var organizationName: String?
    var product: String
    var productName: String
    var unitName: String
    var unitsBefore: Int?
    var unitsAfter: Int
    var usage: Int?
    var usageObservedAt: Date?
    var usageSource: String?
    var sharers: Int
    var approvedBy: String?
    var effectiveDate: String
    var adjustmentID: Int64?
    var noteSentAt: Date?
    var autotaskNoteID: Int64?

    static func load(tenantID: Int64, noteID: Int64, on connection: Connection) async throws -> ContractNoteRecord? {
        let rows = try await connection.query("""
            SELECT n.note_id, t.slug, n.state, n.contract_id, n.service_id, n.contract_name, n.run_id, r.trigger, r.due_at, r.requested_by,
                   n.organization_id, o.name AS organization_name, n.product, coalesce(p.display_name, n.product) AS display_name,
                   coalesce(p.unit_name, 'units') AS unit_name, n.units_before, n.units_after,
                   n.usage, n.usage_observed_at, n.usage_source, n.sharers, n.approved_by, n.effective_date::text AS effective_date,
                   n.adjustment_id, n.note_sent_at, n.autotask_note_id
            FROM contract_notes n
            JOIN tenants t ON t.tenant_id = n.tenant_id
            LEFT JOIN products p ON p.product = n.product
            LEFT JOIN organizations o ON o.tenant_id = n.tenant_id AND o.organization_id = n.organization_id
            LEFT JOIN runs r ON r.tenant_id = n.tenant_id AND r.run_id = n.run_id
            WHERE n.tenant_id = \(tenantID) AND n.note_id = \(noteID)
            """, name: "load contract note")
        guard let row = rows.first else { return nil }
        return ContractNoteRecord(
            noteID: try row.decode("note_id"), tenantSlug: try row.decode("slug"), state: try row.decode("state"),
            contractID: Int(try row.decode("contract_id", as: Int64.self)), serviceID: Int(try row.decode("service_id", as: Int64.self)),
            contractName: try row.decode("contract_name"), runID: try row.decode("run_id"), runTrigger: try row.decode("trigger"),
            runDueAt: try row.decode("due_at"), runRequestedBy: try row.decode("requested_by"),
            organizationID: try row.decode("organization_id"), organizationName: try row.decode("organization_name"),
            product: try row.decode("product"), productName: try row.decode("display_name"), unitName: try row.decode("unit_name"),
            unitsBefore: try row.decode("units_before"), unitsAfter: try row.decode("units_after"), usage: try row.decode("usage"),
            usageObservedAt: try row.decode("usage_observed_at"), usageSource: try row.decode("usage_source"),
            sharers: try row.decode("sharers"), approvedBy: try row.decode("approved_by"), effectiveDate: try row.decode("effective_date"),
            adjustmentID: try row.decode("adjustment_id"), noteSentAt: try row.decode("note_sent_at"),
            autotaskNoteID: try row.decode("autotask_note_id"))
    }

    /// Marks the note as being posted now, while the job still holds its lease.
    static func markSent(_ noteID: Int64, job: ClaimedJob, worker: UUID, on connection: Connection) async throws {
        let marked = try await connection.execute("""
            UPDATE contract_notes SET note_sent_at = now()
            WHERE tenant_id = \(job.tenantID) AND note_id = \(noteID) AND state = 'owed' AND \(fragment: JobQueue.leaseCondition(job, worker: worker))
            """, name: "mark contract note sent")
        guard marked == 1 else { throw JobFailure.transient("the job's lease ran out before it could post the note; it will run again") }
    }

    /// Autotask refused the post: nothing was made, and the next attempt posts without looking first.
    static func markRefused(_ noteID: Int64, tenantID: Int64, on connection: Connection) async throws {
        try await connection.execute(
            "UPDATE contract_notes SET note_sent_at = NULL WHERE tenant_id = \(tenantID) AND note_id = \(noteID) AND state = 'owed'", name: "mark contract note refused")
    }

    static func markPosted(_ noteID: Int64, tenantID: Int64, autotaskNoteID: Int, on connection: Connection) async throws {
        try await connection.execute("""
            UPDATE contract_notes SET state = 'posted', autotask_note_id = \(Int64(autotaskNoteID)), posted_at = now()
            WHERE tenant_id = \(tenantID) AND note_id = \(noteID) AND state = 'owed'
            """, name: "mark contract note posted")
    }
}
