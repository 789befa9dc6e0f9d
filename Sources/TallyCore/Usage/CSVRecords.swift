/// The records of a CSV text (RFC 4180): commas separate fields, double quotes
/// enclose a field that may hold commas, quotes ("") and line breaks; a line
/// ends with LF, CRLF or CR; a leading byte-order mark is dropped. Each record
/// knows the line it starts on, for errors.
struct CSVRecords {
    struct Record {
        var line: Int
        var fields: [String]
    }

    static func read(_ text: String) throws(InputError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1, recordLine = 1, quoteLine = 1
        var quoted = false, afterQuote = false
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

        func endRecord() {
            fields.append(String(field))
            field = .init()
            records.append(Record(line: recordLine, fields: fields))
            fields = []
        }
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" { field.append("\""); scalars.removeFirst() } else { quoted = false; afterQuote = true }
                } else {
                    if scalar == "\n" || (scalar == "\r" && scalars.first != "\n") { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(String(field))
                field = .init()
                afterQuote = false
            case "\r", "\n":
                if scalar == "\r" && scalars.first == "\n" { scalars.removeFirst() }
                endRecord()
                afterQuote = false
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !afterQuote:
                quoted = true
                quoteLine = line
            case " " where afterQuote, "\t" where afterQuote:
                continue
            default:
                if afterQuote {
                    throw InputError("line \(line): text follows a closing quote; inside a quoted field write a quote as \"\"")
                }
                field.append(scalar)
            }
        }
        if quoted {
            throw InputError("line \(quoteLine): a quoted field opened here is never closed; close it with \"")
        }
        if !field.isEmpty || !fields.isEmpty || afterQuote { endRecord() }
        return records
    }
}
