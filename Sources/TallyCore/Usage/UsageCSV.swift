import Foundation

/// Reads usage CSV: a header naming `organization_id`, `product`, `units`,
/// and optionally `organization_name` and `observed_at` (ISO 8601), in any
/// order. Every line is checked before anything is written; an error names
/// its line and field.
public enum UsageCSV {
    public static func parse(_ text: String, products: Set<String>) throws(InputError) -> [UsageRow] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw InputError("the CSV is empty: it needs a header line organization_id,product,units") }
        let columns = fields(header).map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { columns.firstIndex(of: name) }
        guard let idColumn = column("organization_id"), let productColumn = column("product"), let unitsColumn = column("units") else {
            throw InputError("line 1: the header must name organization_id, product and units (and may name organization_name, observed_at); it names \(columns.joined(separator: ","))")
        }
        let nameColumn = column("organization_name"), observedColumn = column("observed_at")
        var rows: [UsageRow] = []
        var seen: [String: Int] = [:]
        let dates = ISO8601DateFormatter()
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = fields(line)
            guard cells.count == columns.count else {
                throw InputError("line \(number): \(cells.count) fields, but the header has \(columns.count)")
            }
            func cell(_ column: Int) -> String { cells[column].trimmingCharacters(in: .whitespaces) }
            guard let id = Int64(cell(idColumn)), id > 0 else {
                throw InputError("line \(number), organization_id: \"\(cell(idColumn))\" is not a positive whole number")
            }
            let product = cell(productColumn).lowercased()
            guard products.contains(product) else {
                throw InputError("line \(number), product: \"\(cell(productColumn))\" is not a product (\(products.sorted().joined(separator: ", ")))")
            }
            guard let units = Int(cell(unitsColumn)), units >= 0 else {
                throw InputError("line \(number), units: \"\(cell(unitsColumn))\" is not a whole number of units, 0 or more")
            }
            var observed: Date?
            if let observedColumn, !cell(observedColumn).isEmpty {
                guard let date = dates.date(from: cell(observedColumn)) else {
                    throw InputError("line \(number), observed_at: \"\(cell(observedColumn))\" is not an ISO 8601 time such as 2026-11-26T02:00:00Z")
                }
                observed = date
            }
            let key = "\(id) \(product)"
            if let first = seen[key] {
                throw InputError("line \(number): organization \(id) has \(product) usage on line \(first) already")
            }
            seen[key] = number
            let name = nameColumn.map(cell).flatMap { $0.isEmpty ? nil : $0 }
            rows.append(UsageRow(organizationID: id, organizationName: name, product: product, units: units, observedAt: observed))
        }
        return rows
    }

    /// The fields of one line: commas separate, double quotes enclose ("" is a quote).
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { current.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
