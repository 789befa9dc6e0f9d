/// Text from outside Tally (an Autotask or Huntress answer, a handler's error)
/// made safe to store in `last_error`, log and print in a table: every run of
/// spaces and control characters (terminal escapes, NUL, line breaks) becomes
/// one space, none at either end, and past `limit` characters the rest is
/// counted, not kept.
public enum ForeignText {
    public static let limit = 2_000

    public static func bounded(_ text: String, limit: Int = ForeignText.limit) -> String {
        var clean = String.UnicodeScalarView()
        var spaceOwed = false
        for scalar in text.unicodeScalars {
            if scalar == " " || isControl(scalar) {
                spaceOwed = !clean.isEmpty
            } else {
                if spaceOwed { clean.append(" ") }
                spaceOwed = false
                clean.append(scalar)
            }
        }
        let cleaned = String(clean)
        guard cleaned.count > limit else { return cleaned }
        let dropped = cleaned.count - limit
        return String(cleaned.prefix(limit)) + "… (\(grouped(dropped)) more characters not kept)"
    }

    /// A control character, or a line or paragraph separator: what may move a
    /// terminal's cursor or break a line where one was not meant.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }
}
