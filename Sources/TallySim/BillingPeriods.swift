/// ContractServiceUnits as Autotask derives them: one row per billing period of the
/// contract, split at each adjustment's effective date. `rows` ends a row on the day the
/// next one starts (the boundary day is shared), so the units in force on a day are those
/// of the row with startDate ≤ day < endDate; `wireRows` ends rows as the database's
/// convention says (`SimUnitRowEnds`).
///
/// Billing periods are monthly from the contract's start date (the simulator does not
/// model quarterly or yearly periods), up to the contract's end date or a year past
/// today, whichever is first.
enum BillingPeriods {
    struct Row: Sendable {
        var start: SimDay
        var end: SimDay
        var units: Int
        /// Whether the row ends where a billing period ends (not at an adjustment's split).
        var endsPeriod = false
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
            let endsPeriod = rowEnd == periodsEnd || boundaries.contains(rowEnd)
            return Row(start: rowStart, end: rowEnd, units: units, endsPeriod: endsPeriod)
        }
    }

    /// The rows as the API answers them: from the service's `unitsFrom` on, with ends by `convention`.
    static func wireRows(
        contract: SimContract, service: SimContractService, adjustments: [SimAdjustment], today: SimDay, convention: SimUnitRowEnds
    ) -> [Row] {
        rows(contract: contract, adjustments: adjustments, today: today).compactMap { row in
            if let from = service.unitsFrom, row.start < from { return nil }
            guard convention == .periodLastDay, row.endsPeriod else { return row }
            var inclusive = row
            inclusive.end = SimDay(ordinal: row.end.ordinal - 1)
            return inclusive
        }
    }

    static func units(on day: SimDay, contract: SimContract, adjustments: [SimAdjustment], today: SimDay) -> Int {
        rows(contract: contract, adjustments: adjustments, today: today).first { $0.start <= day && day < $0.end }?.units ?? 0
    }
}
