public import Foundation

/// A Swift value that can be sent as a statement parameter, in PostgreSQL's
/// text format. `nil` sends SQL NULL.
public protocol PostgresEncodable: Sendable {
    var postgresText: String? { get }
}

extension String: PostgresEncodable { public var postgresText: String? { self } }
extension Int: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int16: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Bool: PostgresEncodable { public var postgresText: String? { self ? "t" : "f" } }
extension UUID: PostgresEncodable { public var postgresText: String? { uuidString } }
extension Date: PostgresEncodable { public var postgresText: String? { PostgresTimestamp.format(self) } }

extension Double: PostgresEncodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return String(self)
    }
}

/// `Data` is sent as `bytea` in its hex text form.
extension Data: PostgresEncodable {
    public var postgresText: String? {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 + count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// Arrays are sent as one-dimensional array literals, so that many rows can
/// be written in one statement with `unnest($1::bigint[], $2::text[])`.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// Built as UTF-8 bytes: a refresh sends arrays of hundreds of elements,
    /// and appending to a String scalar by scalar cost more than the query.
    public var postgresText: String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(2 + count * 12)
        for (index, element) in enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard let text = element.postgresText else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(quote)
            // `"` and `\` are ASCII, never part of a multi-byte character.
            for byte in text.utf8 {
                if byte == quote || byte == backslash { literal.append(backslash) }
                literal.append(byte)
            }
            literal.append(quote)
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}
