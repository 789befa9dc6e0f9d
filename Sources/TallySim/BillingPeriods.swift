/// ContractServiceUnits as Autotask derives them: one row per billing period of the
/// contract, split at each adjustment's effective date. A row ends on the day the next
/// one starts (the boundary day is shared), so the units in force on a day are those of
/// the row with startDate ≤ day < endDate.
///
/// Billing periods are monthly from the contract's start date (the simulator does not
/// model quarterly or yearly periods), up to the contract's end date or a year past
/// today, whichever is first.
enum BillingPeriods {
    struct Row: Sendable {
        var start: SimDay
        var end: SimDay
        var units: Int
    }

    static func rows(contract: SimContract, adjustments: [SimAdjustment], today: SimDay) -> [Row] {
        let lastDay = min(contract.endDate, SimDay(ordinal: today.ordinal + 366))
        var boundaries: [SimDay] = []
        var month = 0
        var start = contract.startDate
        while start <= lastDay && month < 240 {
            boundaries.append(start)
            month += 1
            start = contract.startDate.adding(months: month)
        }
        guard !boundaries.isEmpty else { return [] }
        let periodsEnd = start
        let cuts = Set(boundaries + adjustments.map(\.effectiveDate).filter { $0 > contract.startDate && $0 < periodsEnd })
        let starts = cuts.sorted()
        return starts.indices.map { i in
            let rowStart = starts[i]
            let rowEnd = i + 1 < starts.count ? starts[i + 1] : periodsEnd
            let units = adjustments.filter { $0.effectiveDate <= rowStart }.reduce(0) { $0 + $1.unitChange }
            return Row(start: rowStart, end: rowEnd, units: units)
        }
    }

    static func units(on day: SimDay, contract: SimContract, adjustments: [SimAdjustment], today: SimDay) -> Int {
        rows(contract: contract, adjustments: adjustments, today: today).first { $0.start <= day && day < $0.end }?.units ?? 0
    }
}
