public import TallySim

/// Whether every adjustment Tally posted got exactly one audit note on its
/// contract (issue 20): per contract, notes against Tally's adjustments, and
/// no note's marker twice. Databases are those of `SimulatedTenants.onboard`.
public struct NoteAudit: Sendable, CustomStringConvertible {
    public var adjustments = 0
    public var notes = 0
    /// Contracts with fewer notes than adjustments, counted in notes.
    public var missing = 0
    /// Notes beyond one per adjustment, and notes posted twice (same marker).
    public var doubled = 0
    public var examples: [String] = []

    public var description: String {
        "adjustments \(adjustments), notes \(notes), missing = \(missing), doubled = \(doubled)"
            + (examples.isEmpty ? "" : "; e.g. " + examples.joined(separator: "; "))
    }

    public static func audit(databases: Int, simulator: SimState) async -> NoteAudit {
        var audit = NoteAudit()
        for n in 1...databases {
            let adjustments = (await simulator.adjustments(database: "db\(n)") ?? []).filter { $0.postedBy != "seed" }
            let notes = await simulator.notes(database: "db\(n)") ?? []
            audit.adjustments += adjustments.count
            audit.notes += notes.count
            let adjusted = Dictionary(grouping: adjustments, by: \.contractID).mapValues(\.count)
            let noted = Dictionary(grouping: notes, by: \.contractID).mapValues(\.count)
            for contract in Set(adjusted.keys).union(noted.keys) {
                let difference = (noted[contract] ?? 0) - (adjusted[contract] ?? 0)
                if difference < 0 { audit.missing -= difference }
                if difference > 0 { audit.doubled += difference }
                if difference != 0, audit.examples.count < 10 {
                    audit.examples.append("db\(n) contract \(contract): \(adjusted[contract] ?? 0) adjustments, \(noted[contract] ?? 0) notes")
                }
            }
            for (title, same) in Dictionary(grouping: notes, by: \.title) where same.count > 1 {
                audit.doubled += same.count - 1
                if audit.examples.count < 10 { audit.examples.append("db\(n): \"\(title)\" posted \(same.count) times") }
            }
        }
        return audit
    }
}
