import TallyCore

/// Plain-text tables for people: a header, a rule, rows; columns padded to
/// their widest cell; numbers right-aligned.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { add(cells) }
    /// Cells are printed without control characters: a name or an error from
    /// outside cannot move the cursor or retitle the operator's terminal.
    mutating func add(_ cells: [String]) { rows.append(cells.map(DisplayName.printable)) }

    var rendered: String {
        let columns = headers.count
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.prefix(columns).enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let numeric = (0..<columns).map { column in
            !rows.isEmpty && rows.allSatisfy { row in
                column >= row.count || row[column].isEmpty || row[column] == "-" || Double(row[column].replacingOccurrences(of: ",", with: "")) != nil
            }
        }
        func line(_ cells: [String]) -> String {
            (0..<columns).map { column in
                let cell = column < cells.count ? cells[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return numeric[column] ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    /// Prints the table, or `empty` when there are no rows.
    func print(empty: String) {
        Swift.print(rows.isEmpty ? empty : rendered)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
