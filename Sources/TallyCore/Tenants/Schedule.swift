/// When a tenant's runs are due: `daily HH:MM`, `monthly DAY HH:MM` or `manual`,
/// in the tenant's time zone.
public enum Schedule: Sendable, Equatable, CustomStringConvertible {
    case daily(hour: Int, minute: Int)
    case monthly(day: Int, hour: Int, minute: Int)
    case manual

    public init(parsing text: String) throws(InputError) {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let example = "write `daily 02:00`, `monthly 1 02:00` or `manual`"
        switch words.first?.lowercased() {
        case "daily" where words.count == 2:
            let (hour, minute) = try Self.time(words[1])
            self = .daily(hour: hour, minute: minute)
        case "monthly" where words.count == 3:
            guard let day = Int(words[1]), (1...31).contains(day) else {
                throw InputError("the day of a monthly schedule must be 1 to 31 (29–31 mean the last day of shorter months), not \(DisplayName.quoted(words[1]))")
            }
            let (hour, minute) = try Self.time(words[2])
            self = .monthly(day: day, hour: hour, minute: minute)
        case "manual" where words.count == 1:
            self = .manual
        default:
            throw InputError("the schedule \"\(DisplayName.quoted(text))\" is not one Tally knows: \(example)")
        }
    }

    private static func time(_ text: String) throws(InputError) -> (Int, Int) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else {
            throw InputError("the time \(DisplayName.quoted(text)) is not a time of day: write it as HH:MM, 00:00 to 23:59")
        }
        return (hour, minute)
    }

    public var kind: String {
        switch self {
        case .daily: "daily"
        case .monthly: "monthly"
        case .manual: "manual"
        }
    }

    public var day: Int? {
        if case .monthly(let day, _, _) = self { return day }
        return nil
    }

    /// HH:MM (02:00 for a manual schedule, whose time is unused).
    public var time: String {
        switch self {
        case .daily(let hour, let minute), .monthly(_, let hour, let minute):
            String(format2(hour)) + ":" + format2(minute)
        case .manual:
            "02:00"
        }
    }

    public var description: String {
        switch self {
        case .daily: "daily \(time)"
        case .monthly(let day, _, _): "monthly \(day) \(time)"
        case .manual: "manual"
        }
    }

    /// From the columns of `tenants`.
    public init(kind: String, day: Int?, time: String) {
        let parts = time.split(separator: ":").compactMap { Int($0) }
        let (hour, minute) = (parts.first ?? 2, parts.count > 1 ? parts[1] : 0)
        switch kind {
        case "monthly": self = .monthly(day: day ?? 1, hour: hour, minute: minute)
        case "manual": self = .manual
        default: self = .daily(hour: hour, minute: minute)
        }
    }
}

private func format2(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
