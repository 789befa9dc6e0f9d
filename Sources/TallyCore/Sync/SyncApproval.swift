public import Postgres

/// `tally jobs approve`: releases a sync job the guard rails held.
public enum SyncApproval {
    public enum Outcome: Sendable, Equatable {
        /// Queued again; a change to `target` units will be written.
        case approved(unitsBefore: Int?, target: Int)
        case notHeld(state: String?)
    }

    /// Approves the change the job was held for: the same target passes the
    /// guard rails once; a different usage by then is checked again.
    public static func approve(tenantID: Int64, jobID: Int64, on connection: Connection) async throws -> Outcome {
        try await connection.withTransaction { tx in
            let rows = try await tx.query("""
                SELECT state, (report->>'units_before')::int AS before, (report->>'target_units')::int AS target
                FROM jobs WHERE tenant_id = \(tenantID) AND job_id = \(jobID) AND kind = \(SyncKind.name) FOR UPDATE
                """, name: "read held job")
            guard let row = rows.first else { return .notHeld(state: nil) }
            let state: String = try row.decode("state")
            guard state == "held", let target: Int = try row.decode("target") else { return .notHeld(state: state) }
            let approved = try await JobQueue.retry(
                tenantID: tenantID, jobID: jobID, from: ["held"], mergingArguments: "{\"approved_target\": \(target)}", on: tx)
            return approved ? .approved(unitsBefore: try row.decode("before"), target: target) : .notHeld(state: state)
        }
    }
}
