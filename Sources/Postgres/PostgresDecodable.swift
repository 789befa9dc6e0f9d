public import Foundation

/// One value of a result row, as PostgreSQL sent it (text format).
public struct PostgresCell: Sendable {
    public let text: String?
    public let type: PostgresType
    public let column: String
    public let statement: String?

    /// The text of a non-NULL value whose column type is one of `acceptedTypes`.
    public func requireText(acceptedTypes: Set<PostgresType>, swiftType: String) throws -> String {
        guard acceptedTypes.contains(type) else { throw mismatch(swiftType) }
        guard let text else {
            throw PostgresError(.decoding, "column \"\(column)\" is NULL; read it as an Optional \(swiftType)", statement: statement)
        }
        return text
    }

    public func mismatch(_ swiftType: String) -> PostgresError {
        PostgresError(.decoding, "column \"\(column)\" (\(type)) cannot be read as \(swiftType)", statement: statement)
    }
}

/// A Swift type that can be read from a result column.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws -> Self
}

/// A type read from its text form, accepting a fixed set of column types.
protocol PostgresTextDecodable: PostgresDecodable {
    static var acceptedTypes: Set<PostgresType> { get }
    init?(postgresText: String)
}

extension PostgresTextDecodable {
    public static func decode(from cell: PostgresCell) throws -> Self {
        let text = try cell.requireText(acceptedTypes: acceptedTypes, swiftType: "\(Self.self)")
        guard let value = Self(postgresText: text) else { throw cell.mismatch("\(Self.self) (value out of range)") }
        return value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        guard cell.text != nil else { return nil }
        return try Wrapped.decode(from: cell)
    }
}

extension Int: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { PostgresType.integers }
    init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Int64: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { PostgresType.integers }
    init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Int32: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { PostgresType.integers }
    init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Double: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { PostgresType.floats }
    init?(postgresText: String) { self.init(postgresText) }
}

extension Bool: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { [.bool] }
    init?(postgresText: String) {
        switch postgresText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

/// Any column can be read as its text form except `bytea` (read it as `Data`).
extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        guard cell.type != .bytea else { throw cell.mismatch("String (read bytea as Data)") }
        guard let text = cell.text else {
            throw PostgresError(.decoding, "column \"\(cell.column)\" is NULL; read it as an Optional String", statement: cell.statement)
        }
        return text
    }
}

extension UUID: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { [.uuid] }
    init?(postgresText: String) { self.init(uuidString: postgresText) }
}

/// `timestamptz`, `timestamp` (taken as UTC) and `date` (midnight UTC).
extension Date: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { PostgresType.timestamps }
    init?(postgresText: String) {
        guard let date = PostgresTimestamp.parse(postgresText) else { return nil }
        self = date
    }
}

/// `bytea` in its hex text form (`\x…`).
extension Data: PostgresTextDecodable {
    static var acceptedTypes: Set<PostgresType> { [.bytea] }
    init?(postgresText: String) {
        let hex = Array(postgresText.utf8)
        guard hex.count >= 2, hex[0] == UInt8(ascii: "\\"), hex[1] == UInt8(ascii: "x"), hex.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity((hex.count - 2) / 2)
        var index = 2
        while index < hex.count {
            guard let high = Self.nibble(hex[index]), let low = Self.nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
