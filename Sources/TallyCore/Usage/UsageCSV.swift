public import Foundation

/// Reads usage CSV: a header naming `organization_id`, `product`, `units`,
/// and optionally `organization_name` and `observed_at` (ISO 8601), in any
/// order. Every line is checked before anything is written; an error names
/// its line and field.
public enum UsageCSV {
    /// The largest CSV Tally reads: about 500,000 lines of usage.
    public static let maxBytes = 64 << 20
    /// How far ahead of this machine's clock an `observed_at` may be (clock skew).
    static let futureTolerance: TimeInterval = 300

    public static func parse(_ text: String, products: Set<String>, now: Date = Date()) throws(InputError) -> [UsageRow] {
        guard text.utf8.count <= maxBytes else { throw tooLarge(bytes: text.utf8.count) }
        var records = try CSVRecords.read(text)
        while let last = records.last, isBlank(last) { records.removeLast() }
        guard let header = records.first else { throw InputError("the CSV is empty: it needs a header line organization_id,product,units") }
        let columns = header.fields.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { columns.firstIndex(of: name) }
        guard let idColumn = column("organization_id"), let productColumn = column("product"), let unitsColumn = column("units") else {
            throw InputError("line 1: the header must name organization_id, product and units (and may name organization_name, observed_at); it names \(DisplayName.quoted(columns.joined(separator: ","), limit: 200))")
        }
        let nameColumn = column("organization_name"), observedColumn = column("observed_at")
        var rows: [UsageRow] = []
        var seen: [String: Int] = [:]
        let dates = ISO8601DateFormatter()
        for record in records.dropFirst() where !isBlank(record) {
            let number = record.line
            let cells = record.fields
            guard cells.count == columns.count else {
                throw InputError("line \(number): \(cells.count) fields, but the header has \(columns.count)")
            }
            func cell(_ column: Int) -> String { cells[column].trimmingCharacters(in: .whitespaces) }
            guard let id = Int64(cell(idColumn)), id > 0 else {
                throw InputError("line \(number), organization_id: \"\(shown(cell(idColumn)))\" is not a positive whole number")
            }
            let product = cell(productColumn).lowercased()
            guard products.contains(product) else {
                throw InputError("line \(number), product: \"\(shown(cell(productColumn)))\" is not a product (\(products.sorted().joined(separator: ", ")))")
            }
            let units = try self.units(cell(unitsColumn), line: number)
            var observed: Date?
            if let observedColumn, !cell(observedColumn).isEmpty {
                guard let date = dates.date(from: cell(observedColumn)) else {
                    throw InputError("line \(number), observed_at: \"\(shown(cell(observedColumn)))\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z")
                }
                guard date <= now + futureTolerance else {
                    throw InputError("line \(number), observed_at: \(cell(observedColumn)) is in the future (it is \(dates.string(from: now)) now): give the time the units were counted")
                }
                observed = date
            }
            let key = "\(id) \(product)"
            if let first = seen[key] {
                throw InputError("line \(number): organization \(id) has \(product) usage on line \(first) already")
            }
            seen[key] = number
            var name: String?
            if let nameColumn, !cell(nameColumn).isEmpty {
                name = try DisplayName.checked(cell(nameColumn), "line \(number), organization_name")
            }
            rows.append(UsageRow(organizationID: id, organizationName: name, product: product, units: units, observedAt: observed))
        }
        return rows
    }

    public static func tooLarge(bytes: Int) -> InputError {
        InputError("the CSV is \(bytes / (1 << 20)) MiB or more; Tally reads at most \(maxBytes >> 20) MiB at once: split it into several files and import each")
    }

    /// Units within `UsageRow.billableUnits`.
    static func units(_ text: String, line: Int) throws(InputError) -> Int {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw InputError("line \(line), units: \"\(shown(text))\" is not a whole number of units, 0 or more")
        }
        guard let units = Int(digits), UsageRow.billableUnits.contains(units) else {
            throw InputError("line \(line), units: \(shown(text)) is more than \(UsageRow.billableUnits.upperBound), the most units Tally bills: check the column")
        }
        return units
    }

    private static func isBlank(_ record: CSVRecords.Record) -> Bool {
        record.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } && record.fields.count <= 1
    }

    private static func shown(_ text: String) -> String { DisplayName.quoted(text) }
}
