import Foundation
import TallyQueue

/// Names people give (tenants, organizations) are printed in tables and on the
/// dashboard: at most `limit` characters and no control characters, so that no
/// name carries a terminal escape. Names from Huntress are cleaned rather
/// than refused: the MSP cannot change what Huntress sends.
public enum DisplayName {
    public static let limit = 200

    /// The name, trimmed, or a refusal that says what to change.
    public static func checked(_ name: String, _ what: String) throws(InputError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw InputError("\(what) must not be empty") }
        if let control = trimmed.unicodeScalars.first(where: isControl) {
            let code = String(control.value, radix: 16, uppercase: true)
            throw InputError("\(what) holds a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code)): remove it; names are printed in tables")
        }
        guard trimmed.count <= limit else {
            throw InputError("\(what) is \(trimmed.count) characters long: use at most \(limit)")
        }
        return trimmed
    }

    /// A name from outside (Huntress): control characters become spaces, the length is cut to `limit`.
    public static func cleaned(_ name: String) -> String {
        let bounded = ForeignText.bounded(name, limit: limit)
        return bounded.count <= limit ? bounded : String(bounded.prefix(limit))
    }

    /// Text as an error quotes it: printable, at most `limit` characters.
    public static func quoted(_ text: String, limit: Int = 60) -> String {
        let clean = printable(text)
        return clean.count <= limit ? clean : String(clean.prefix(limit - 3)) + "..."
    }

    /// Text with each control character replaced by a space, to quote in an error or a table.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool { ForeignText.isControl(scalar) }
}
