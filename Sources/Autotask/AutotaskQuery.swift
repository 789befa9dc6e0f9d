/// A value in a filter condition.
public enum AutotaskValue: Sendable, Hashable, Encodable {
    case int(Int)
    case string(String)
    case bool(Bool)
    case day(AutotaskDay)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .bool(let v): try container.encode(v)
        case .day(let v): try container.encode(v)
        }
    }
}

/// One node of an Autotask query filter: a condition on a field, or `and`/`or` of others.
public struct AutotaskFilter: Sendable, Hashable, Encodable {
    public enum Op: String, Sendable {
        case eq, noteq, gt, gte, lt, lte, beginsWith, endsWith, contains, exist, notExist, `in`, notIn, and, or
    }

    public var op: Op
    public var field: String?
    public var value: AutotaskValue?
    public var values: [AutotaskValue]?
    public var items: [AutotaskFilter]?

    /// Conditions a filter counts toward Autotask's 500-condition limit.
    public var conditionCount: Int {
        if let items { return items.reduce(0) { $0 + $1.conditionCount } }
        return values?.count ?? 1
    }

    enum CodingKeys: String, CodingKey { case op, field, value, items }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(op.rawValue, forKey: .op)
        try container.encodeIfPresent(field, forKey: .field)
        if let values { try container.encode(values, forKey: .value) } else { try container.encodeIfPresent(value, forKey: .value) }
        try container.encodeIfPresent(items, forKey: .items)
    }

    public static func field(_ field: String, _ op: Op, _ value: AutotaskValue) -> AutotaskFilter {
        AutotaskFilter(op: op, field: field, value: value)
    }
    public static func eq(_ field: String, _ value: Int) -> AutotaskFilter { .field(field, .eq, .int(value)) }
    public static func isIn(_ field: String, _ values: [Int]) -> AutotaskFilter {
        AutotaskFilter(op: .in, field: field, values: values.map(AutotaskValue.int))
    }
    public static func exists(_ field: String) -> AutotaskFilter { AutotaskFilter(op: .exist, field: field) }
    public static func and(_ items: [AutotaskFilter]) -> AutotaskFilter { AutotaskFilter(op: .and, items: items) }
    public static func or(_ items: [AutotaskFilter]) -> AutotaskFilter { AutotaskFilter(op: .or, items: items) }

    init(op: Op, field: String? = nil, value: AutotaskValue? = nil, values: [AutotaskValue]? = nil, items: [AutotaskFilter]? = nil) {
        self.op = op
        self.field = field
        self.value = value
        self.values = values
        self.items = items
    }
}

/// The body of `POST {Entity}/query`.
public struct AutotaskQuery: Sendable, Hashable, Encodable {
    /// Autotask answers at most 500 records a page, and accepts at most 500 conditions.
    public static let maxRecordsLimit = 500
    public static let maxConditions = 500

    public var filter: [AutotaskFilter]
    public var includeFields: [String]?
    public var maxRecords: Int?

    public init(filter: [AutotaskFilter], includeFields: [String]? = nil, maxRecords: Int? = nil) {
        self.filter = filter
        self.includeFields = includeFields
        self.maxRecords = maxRecords.map { min(max($0, 1), AutotaskQuery.maxRecordsLimit) }
    }

    /// Every record: Autotask needs at least one condition, and every record has an id.
    public static var all: AutotaskQuery { AutotaskQuery(filter: [.field("id", .gte, .int(0))]) }

    public var conditionCount: Int { filter.reduce(0) { $0 + $1.conditionCount } }

    enum CodingKeys: String, CodingKey {
        case filter
        case includeFields = "IncludeFields"
        case maxRecords = "MaxRecords"
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
