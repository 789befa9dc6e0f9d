import Autotask
import Foundation

/// The title and text of an audit note: what changed, on what usage, in which
/// run, approved by whom. The title ends with a marker that finds the note
/// again after a post whose answer was lost.
struct ContractNoteText {
    let record: ContractNoteRecord

    /// `(Tally note N)`: unique per note; the parentheses keep one marker from being
    /// part of another's, and none of it is a wildcard if Autotask's `contains` is a SQL LIKE.
    var marker: String { "(Tally note \(record.noteID))" }

    var title: String {
        "\(record.productName): \(record.unitsBefore.map(String.init) ?? "?") → \(record.unitsAfter) \(record.unitName) \(marker)"
    }

    var description: String {
        var lines: [String] = []
        let contract = record.contractName.map { "\"\($0)\" (contract \(record.contractID))" } ?? "contract \(record.contractID)"
        let before = record.unitsBefore.map { "from \($0) to" } ?? "to"
        let adjustment = record.adjustmentID.map { "Autotask adjustment \($0)" }
            ?? "the post's answer was lost; a re-read showed Autotask holds the new units"
        lines.append(
            "Tally changed the units of \(record.productName) (service \(record.serviceID), Huntress product \(record.product)) on \(contract) "
                + "\(before) \(record.unitsAfter) \(record.unitName), effective \(record.effectiveDate) (\(adjustment)).")
        lines.append(usageLine)
        if record.sharers > 0 {
            lines.append("\(record.sharers + 1) Huntress organizations share this contract: the units are the sum of their usage.")
        }
        if let run = runLine { lines.append(run) }
        if let approver = record.approvedBy {
            lines.append("The guard rails held this change for approval; \(approver) approved it.")
        }
        lines.append("Tenant \(record.tenantSlug) in Tally: `tally runs \(record.tenantSlug)` lists its runs and what each changed.")
        return lines.joined(separator: "\n")
    }

    private var usageLine: String {
        let organization = "\(record.organizationName ?? "organization") (Huntress organization \(record.organizationID))"
        guard let usage = record.usage else { return "Usage of \(organization): none on record (removed from Huntress: the target is 0)." }
        let source: String
        switch record.usageSource {
        case "huntress": source = "counted by Huntress"
        case "csv": source = "imported from a CSV file"
        case "sql": source = "written by SQL"
        case "manual": source = "set by hand (`tally usage set`)"
        default: source = "recorded"
        }
        let when = record.usageObservedAt.map { " at \(Self.utc($0))" } ?? ""
        return "Usage of \(organization): \(usage) \(record.unitName), \(source)\(when)."
    }

    private var runLine: String? {
        guard let runID = record.runID else { return nil }
        switch record.runTrigger {
        case "daily", "monthly":
            let due = record.runDueAt.map { ", due \(Self.utc($0))" } ?? ""
            return "Run \(runID): the \(record.runTrigger ?? "") scheduled run\(due)."
        case "sync_now":
            return "Run \(runID): Sync Now\(record.runRequestedBy.map { " requested by \($0)" } ?? "")."
        default:
            return "Run \(runID)."
        }
    }

    static func utc(_ date: Date) -> String { date.formatted(.iso8601) }
}
