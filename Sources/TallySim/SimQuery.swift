import Foundation

/// A query body as Autotask takes it: `{"filter": [...], "IncludeFields": [...], "MaxRecords": n}`.
struct SimQueryBody: Sendable, Codable {
    var filter: [SimFilter]
    var includeFields: [String]?
    var maxRecords: Int?

    enum CodingKeys: String, CodingKey {
        case filter
        case includeFields = "IncludeFields"
        case maxRecords = "MaxRecords"
    }

    init(filter: [SimFilter], includeFields: [String]?, maxRecords: Int?) {
        self.filter = filter
        self.includeFields = includeFields
        self.maxRecords = maxRecords
    }

    // Autotask accepts the keys in any case (`Filter`, `includeFields`, `maxRecords`).
    init(from decoder: any Decoder) throws {
        let raw = try JSONValue(from: decoder)
        guard case .object = raw else { throw SimQueryError.malformed("The query must be a JSON object.") }
        guard let filter = raw["filter"], case .array(let items) = filter else {
            throw SimQueryError.malformed("The query has no filter.")
        }
        self.filter = try items.map(SimFilter.init(json:))
        if case .array(let fields)? = raw["IncludeFields"] { includeFields = fields.compactMap(\.stringValue) }
        maxRecords = raw["MaxRecords"]?.intValue
    }
}

enum SimQueryError: Error {
    case malformed(String)
}

/// One node of a filter; evaluated against a record's JSON.
struct SimFilter: Sendable, Codable {
    var op: String
    var field: String?
    var value: JSONValue?
    var items: [SimFilter]?
    /// `in`/`notIn` values as numbers and lower-cased strings, for lookups in constant time.
    private var numberSet: Set<Double> = []
    private var stringSet: Set<String> = []

    enum CodingKeys: String, CodingKey { case op, field, value, items }

    init(json: JSONValue) throws {
        guard let op = json["op"]?.stringValue?.lowercased() else { throw SimQueryError.malformed("A filter condition has no op.") }
        self.op = op
        field = json["field"]?.stringValue
        value = json["value"]
        if case .array(let nested)? = json["items"] { items = try nested.map(SimFilter.init(json:)) }
        let known = ["eq", "noteq", "gt", "gte", "lt", "lte", "beginswith", "endswith", "contains", "exist", "notexist", "in", "notin", "and", "or"]
        guard known.contains(op) else { throw SimQueryError.malformed("Unknown filter operator \(op).") }
        if op != "and" && op != "or" && field == nil { throw SimQueryError.malformed("Filter condition \(op) has no field.") }
        if op == "in" || op == "notin" {
            guard case .array(let values)? = value else { throw SimQueryError.malformed("Filter condition \(op) needs a list of values.") }
            for v in values {
                switch v {
                case .number(let n): numberSet.insert(n)
                case .string(let s):
                    stringSet.insert(s.lowercased())
                    if let n = Double(s) { numberSet.insert(n) }
                default: break
                }
            }
        }
    }

    var conditionCount: Int {
        if let items { return items.reduce(0) { $0 + $1.conditionCount } }
        if case .array(let values)? = value { return values.count }
        return 1
    }

    func matches(_ record: JSONValue) -> Bool {
        switch op {
        case "and": return (items ?? []).allSatisfy { $0.matches(record) }
        case "or": return (items ?? []).contains { $0.matches(record) }
        default: break
        }
        let actual = record[field ?? ""] ?? .null
        switch op {
        case "exist": return actual != .null
        case "notexist": return actual == .null
        case "in", "notin":
            let found: Bool
            switch actual {
            case .number(let n): found = numberSet.contains(n)
            case .string(let s): found = stringSet.contains(s.lowercased())
            default: found = false
            }
            return op == "in" ? found : !found
        default: break
        }
        guard let value else { return false }
        switch op {
        case "eq": return Self.compare(actual, value) == 0
        case "noteq": return Self.compare(actual, value) != 0
        case "gt": return Self.compare(actual, value).map { $0 > 0 } ?? false
        case "gte": return Self.compare(actual, value).map { $0 >= 0 } ?? false
        case "lt": return Self.compare(actual, value).map { $0 < 0 } ?? false
        case "lte": return Self.compare(actual, value).map { $0 <= 0 } ?? false
        case "beginswith", "endswith", "contains":
            guard let a = actual.stringValue?.lowercased(), let b = value.stringValue?.lowercased() else { return false }
            return op == "beginswith" ? a.hasPrefix(b) : op == "endswith" ? a.hasSuffix(b) : a.contains(b)
        default: return false
        }
    }

    /// Numbers numerically, dates by day, strings ignoring case; nil when incomparable.
    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.number(let x), _):
            let y: Double
            switch b {
            case .number(let n): y = n
            case .string(let s): guard let n = Double(s) else { return nil }; y = n
            case .bool(let v): y = v ? 1 : 0
            default: return nil
            }
            return x < y ? -1 : x > y ? 1 : 0
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.bool(let x), .number(let y)): return (x ? 1 : 0) == Int(y) ? 0 : 1
        case (.string(let x), .string(let y)):
            if let dx = SimDay(x), let dy = SimDay(y), x.count >= 10, y.count >= 10 {
                return dx.ordinal < dy.ordinal ? -1 : dx.ordinal > dy.ordinal ? 1 : 0
            }
            let lx = x.lowercased(), ly = y.lowercased()
            return lx < ly ? -1 : lx > ly ? 1 : 0
        case (.null, .null): return 0
        default: return nil
        }
    }
}
