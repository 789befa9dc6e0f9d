public import Postgres
import TallyQueue

/// `tally jobs approve`: releases a sync job the guard rails held.
public enum SyncApproval {
    public enum Outcome: Sendable, Equatable {
        /// Queued again; a change to `target` units will be written.
        case approved(unitsBefore: Int?, target: Int)
        case notHeld(state: String?)
    }

    /// The whole command that approves a held job, for messages that name it.
    public static func command(slug: String, jobID: Int64) -> String {
        "tally jobs approve \(slug) \(jobID) --by NAME"
    }

    /// Approves the change the job was held for: the same target passes the
    /// guard rails once; a different usage by then is checked again.
    /// `approvedBy` names the person in the contract's audit note.
    public static func approve(tenantID: Int64, jobID: Int64, approvedBy: String? = nil, on connection: Connection) async throws -> Outcome {
        try await connection.withTransaction { tx in
            guard let job = try await JobQueue.job(tenantID: tenantID, jobID: jobID, locking: true, on: tx),
                  var arguments = try job.arguments(of: SyncKind.self)
            else { return .notHeld(state: nil) }
            let report = try job.report(as: SyncKind.Report.self)
            guard job.state == "held", let target = report?.targetUnits else { return .notHeld(state: job.state) }
            arguments.approvedTarget = target
            arguments.approvedBy = approvedBy
            let approved = try await JobQueue.retry(
                tenantID: tenantID, jobID: jobID, from: ["held"], arguments: try JobQueue.encode(arguments), on: tx)
            return approved ? .approved(unitsBefore: report?.unitsBefore, target: target) : .notHeld(state: job.state)
        }
    }
}
