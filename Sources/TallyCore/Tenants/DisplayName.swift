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

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
