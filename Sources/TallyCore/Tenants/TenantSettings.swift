import Foundation

/// A tenant's settings as an operator gives them (`tally tenant add` and `schedule`).
/// nil: keep (or, for a new tenant, the default).
public struct TenantSettings: Sendable, Equatable {
    public var name: String?
    public var timeZone: String?
    public var schedule: Schedule?
    public var concurrencyCap: Int?
    public var hourlyRequestBudget: Int?
    /// Tally waits while the Autotask database's own hourly count (every integration's) is past this share of its threshold.
    public var autotaskSharePercent: Int?
    public var guardMaxDropPercent: Int?
    public var guardAllowZero: Bool?
    public var usageStalenessHours: Int?
    /// An audit note on the Autotask contract for every adjustment (default on).
    public var contractNotes: Bool?
    public var paused: Bool?

    public init() {}

    /// Refuses out-of-range numbers, naming the option and its range.
    public func validate() throws(InputError) {
        if let name { _ = try DisplayName.checked(name, "the tenant's name (--name)") }
        try Self.check(concurrencyCap, 1...64, "the concurrency cap (--cap)")
        try Self.check(hourlyRequestBudget, 1...10_000, "the hourly request budget (--budget)")
        try Self.check(autotaskSharePercent, 1...100, "the share of the Autotask database's hourly threshold Tally works under, in percent (--autotask-share)")
        try Self.check(guardMaxDropPercent, 0...100, "the guard's largest drop in percent (--max-drop; 100 turns it off)")
        try Self.check(usageStalenessHours, 1...8760, "the usage staleness limit in hours (--staleness-hours)")
    }

    private static func check(_ value: Int?, _ range: ClosedRange<Int>, _ what: String) throws(InputError) {
        guard let value, !range.contains(value) else { return }
        throw InputError("\(what) must be \(range.lowerBound) to \(range.upperBound), not \(value)")
    }
}
