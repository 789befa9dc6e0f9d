public import Foundation
import Postgres

/// What one alert says, whatever carries it: one message per run, with the
/// counts, the first few causes (a cause shared by many jobs said once, with
/// its count) and their fixes, the held changes with the command that
/// approves each, and the `tally status` command that shows the rest.
public struct AlertContent: Sendable, Codable, Equatable {
    public struct Cause: Sendable, Codable, Equatable {
        public var reasonCode: String
        public var jobs: Int
        /// One of its messages, and the organization it names.
        public var example: String
        public var organization: String?
        public var fix: String?
    }

    public struct HeldChange: Sendable, Codable, Equatable {
        public var jobID: Int64
        public var organization: String
        public var product: String
        public var unitsBefore: Int?
        public var target: Int?
        public var approve: String
    }

    public var alert: String
    public var tenant: String
    public var tenantName: String
    public var runID: Int64
    public var trigger: String
    public var dueAt: Date?
    public var title: String
    public var summary: String
    public var counts: [String: Int]
    public var causes: [Cause]
    public var held: [HeldChange]
    public var heldTotal: Int
    public var refreshError: String?
    /// The command that shows everything.
    public var seeMore: String

    /// The lines of the message, as plain text (Slack and Teams mark them up).
    public var lines: [String] {
        var lines = [summary]
        if let refreshError { lines.append("Usage refresh from Huntress failed: \(refreshError)") }
        for cause in causes {
            var line = "\(cause.jobs) × \(cause.reasonCode): \(cause.example)"
            if let fix = cause.fix { line += " — fix: \(fix)" }
            lines.append(line)
        }
        for change in held {
            let before = change.unitsBefore.map { "\($0) → " } ?? ""
            lines.append("Held: \(change.organization) \(change.product) \(before)\(change.target.map(String.init) ?? "?"); approve with `\(change.approve)`")
        }
        if heldTotal > held.count { lines.append("… and \(heldTotal - held.count) more held changes.") }
        lines.append("See everything: `\(seeMore)`")
        return lines
    }

    static let causesShown = 3
    static let heldShown = 3

    /// The content of `alert` ('run', 'missed', 'budget' or 'test') for a run of the tenant.
    static func load(tenantID: Int64, runID: Int64, alert: String, on connection: Connection) async throws -> AlertContent? {
        guard let run = try await connection.query("""
            SELECT t.slug, t.name, r.trigger, r.due_at, r.refresh_error, r.job_count,
                   count(x.*) FILTER (WHERE x.outcome = 'succeeded')::int AS succeeded,
                   count(x.*) FILTER (WHERE x.outcome = 'failed')::int AS failed,
                   count(x.*) FILTER (WHERE x.outcome = 'held')::int AS held,
                   count(x.*) FILTER (WHERE x.outcome = 'skipped')::int AS skipped,
                   count(x.*) FILTER (WHERE x.adjustment_id IS NOT NULL)::int AS adjusted,
                   (SELECT count(*)::int FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.state = 'queued'
                      AND j.deferred_reason IS NOT NULL) AS deferred
            FROM runs r
            JOIN tenants t ON t.tenant_id = r.tenant_id
            LEFT JOIN results x ON x.tenant_id = r.tenant_id AND x.run_id = r.run_id
            WHERE r.tenant_id = \(tenantID) AND r.run_id = \(runID)
            GROUP BY t.slug, t.name, r.tenant_id, r.run_id
            """, name: "alert run").first else { return nil }
        let slug: String = try run.decode("slug")
        let counts = [
            "jobs": try run.decode("job_count", as: Int.self), "succeeded": try run.decode("succeeded", as: Int.self),
            "failed": try run.decode("failed", as: Int.self), "held": try run.decode("held", as: Int.self),
            "skipped": try run.decode("skipped", as: Int.self), "adjusted": try run.decode("adjusted", as: Int.self),
            "deferred": try run.decode("deferred", as: Int.self),
        ]
        let causes = try await connection.query("""
            SELECT x.reason_code, count(*)::int AS jobs, min(x.message) AS example, min(o.name) AS organization,
                   tally_reason_fix(x.reason_code) AS fix
            FROM results x
            LEFT JOIN organizations o ON o.tenant_id = x.tenant_id AND o.organization_id = x.organization_id
            WHERE x.tenant_id = \(tenantID) AND x.run_id = \(runID) AND x.outcome = 'failed'
            GROUP BY x.reason_code
            ORDER BY count(*) DESC, x.reason_code
            LIMIT \(Self.causesShown)
            """, name: "alert causes").map { row in
            Cause(reasonCode: try row.decode("reason_code", as: String?.self) ?? "failed", jobs: try row.decode("jobs"),
                  example: try row.decode("example"), organization: try row.decode("organization"), fix: try row.decode("fix"))
        }
        let held = try await connection.query("""
            SELECT x.job_id, coalesce(o.name, x.organization_id::text) AS organization, x.product, x.units_before, x.target_units
            FROM results x
            LEFT JOIN organizations o ON o.tenant_id = x.tenant_id AND o.organization_id = x.organization_id
            WHERE x.tenant_id = \(tenantID) AND x.run_id = \(runID) AND x.outcome = 'held'
            ORDER BY x.job_id
            LIMIT \(Self.heldShown)
            """, name: "alert held changes").map { row in
            let jobID: Int64 = try row.decode("job_id")
            return HeldChange(
                jobID: jobID, organization: try row.decode("organization"), product: try row.decode("product"),
                unitsBefore: try row.decode("units_before"), target: try row.decode("target_units"),
                approve: SyncApproval.command(slug: slug, jobID: jobID))
        }
        let trigger: String = try run.decode("trigger")
        let dueAt: Date? = try run.decode("due_at")
        let name: String = try run.decode("name")
        let runWords = trigger == "sync_now" ? "Sync Now run \(runID)" : "\(trigger) run \(runID)"
        let (title, summary) = Self.headline(alert: alert, runWords: runWords, tenant: name, slug: slug, dueAt: dueAt, counts: counts)
        return AlertContent(
            alert: alert, tenant: slug, tenantName: name, runID: runID, trigger: trigger, dueAt: dueAt, title: title, summary: summary,
            counts: counts, causes: causes, held: held, heldTotal: counts["held"] ?? 0, refreshError: try run.decode("refresh_error"),
            seeMore: "tally status \(slug)")
    }

    private static func headline(
        alert: String, runWords: String, tenant: String, slug: String, dueAt: Date?, counts: [String: Int]
    ) -> (String, String) {
        let due = dueAt.map { " (due \($0.formatted(.iso8601)))" } ?? ""
        switch alert {
        case "missed":
            return ("Tally: \(tenant)'s \(runWords) has not started",
                    "The \(runWords)\(due) has not started 15 minutes after it was due: no worker has taken its jobs. Check that `tally worker` processes are running and can reach the database.")
        case "budget":
            return ("Tally: \(tenant)'s \(runWords) is waiting on its Autotask budget",
                    "\(counts["deferred"] ?? 0) jobs of the \(runWords)\(due) have waited over an hour for the tenant's hourly Autotask request budget. Raise it with `tally tenant schedule \(slug) --budget N` if the Autotask allowance has room, or let it finish as the budget frees.")
        case "test":
            return ("Tally: a test alert for \(tenant)", "This is a test of this alert destination (`tally notify test`); it was delivered.")
        default:
            let failed = counts["failed"] ?? 0, heldCount = counts["held"] ?? 0, jobs = counts["jobs"] ?? 0
            var parts: [String] = []
            if failed > 0 { parts.append(counted(failed, "failure")) }
            if heldCount > 0 { parts.append("\(counted(heldCount, "change")) held for approval") }
            let ended = parts.isEmpty ? "finished" : "finished with " + parts.joined(separator: " and ")
            return ("Tally: \(tenant)'s \(runWords) \(ended)",
                    "The \(runWords)\(due) \(ended): \(counts["succeeded"] ?? 0) of \(counted(jobs, "job")) succeeded, \(counts["adjusted"] ?? 0) adjusted, \(counts["skipped"] ?? 0) skipped.")
        }
    }
}
