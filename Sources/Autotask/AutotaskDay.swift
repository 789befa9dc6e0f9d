public import Foundation

/// A calendar day as Autotask's contract and billing dates mean it (no time of day).
/// Autotask sends such fields as midnight date-times (`2024-05-01T00:00:00` or
/// `…T00:00:00Z`); only the date part carries meaning, so it is all we read.
public struct AutotaskDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day `date` falls on in `timeZone` (a tenant's "today").
    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    public init?(parsing text: String) {
        let datePart = text.prefix(10).split(separator: "-")
        guard datePart.count == 3, let y = Int(datePart[0]), let m = Int(datePart[1]), let d = Int(datePart[2]),
              (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = AutotaskDay(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an Autotask date: \(text)")
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description + "T00:00:00")
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: AutotaskDay, rhs: AutotaskDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
