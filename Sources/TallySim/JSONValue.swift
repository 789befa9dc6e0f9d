/// Any JSON value: the simulator's records are dictionaries of these, so filters,
/// `IncludeFields` and answers work on field names exactly as Autotask spells them.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if n.rounded() == n && abs(n) < 1e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    static func int(_ n: Int) -> JSONValue { .number(Double(n)) }

    var intValue: Int? {
        switch self {
        case .number(let n): Int(exactly: n)
        case .string(let s): Int(s)
        default: nil
        }
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Field lookup ignoring case, as Autotask does for field names.
    subscript(field: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        if let v = o[field] { return v }
        let lower = field.lowercased()
        return o.first { $0.key.lowercased() == lower }?.value
    }
}
