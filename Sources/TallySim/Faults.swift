import Foundation

/// Injected failures: `5xx=RATE,ise=RATE,429=RATE,hang=RATE,lost=RATE,late=RATE,lateBy=MS,paging=garbled|repeat|elsewhere,latency=MS,outage=on|off,seed=N,hangFor=MS`.
/// Rates are probabilities from 0 to 1, drawn from a generator seeded with `seed`,
/// so a run with the same seed and the same requests fails the same way.
public struct FaultSpec: Sendable, Codable, Equatable, CustomStringConvertible {
    /// 503 with an error message.
    public var serverErrorRate: Double = 0
    /// 500 with the bare text "Internal Server Error".
    public var bareErrorRate: Double = 0
    /// 429 with Autotask's thread-limit message, as when other integrations of
    /// the same API user hold its 3 threads of the endpoint (counted as a
    /// thread-limit refusal; the call is not counted against the hourly budget).
    public var throttleRate: Double = 0
    /// No answer for `hangMilliseconds` (a client time-out), then 504.
    public var hangRate: Double = 0
    public var hangMilliseconds: Int = 120_000
    /// A write is applied but its answer is lost: no answer for `hangMilliseconds`, then 504.
    public var lostAnswerRate: Double = 0
    /// A write is answered 504 at once, and applied `lateMilliseconds` later (a
    /// gateway gave up while Autotask went on): the write's outcome is unknown.
    public var lateWriteRate: Double = 0
    public var lateMilliseconds: Int = 3_000
    /// Broken `nextPageUrl`s on queries that have a next page.
    public var paging: PagingFault?
    /// Added to every API call.
    public var latencyMilliseconds: Int = 0
    /// Every call fails with 503.
    public var outage: Bool = false
    public var seed: UInt64 = 1

    public init(paging: PagingFault? = nil) {
        self.paging = paging
    }

    /// Every fault a spec may name, with what it does: `--faults`' help and the
    /// refusal of an unknown name both list them from here.
    public static let known: [(key: String, meaning: String)] = [
        ("5xx", "rate of 503 answers"),
        ("ise", "rate of bare 500 answers (also 500)"),
        ("429", "rate of 429 answers with Retry-After (also throttle)"),
        ("hang", "rate of calls answered 504 after hangFor (also timeout)"),
        ("hangFor", "how long a hang lasts (ms or s)"),
        ("lost", "rate of writes applied whose answer is lost"),
        ("late", "rate of writes answered 504 at once and applied lateBy later"),
        ("lateBy", "how late a late write lands (ms or s)"),
        ("paging", "garbled, repeat or elsewhere: a broken nextPageUrl"),
        ("latency", "milliseconds added to every call"),
        ("outage", "on: every call refused with 503"),
        ("seed", "the faults' random seed"),
    ]

    public static var help: String {
        "Faults to inject from the start, e.g. 5xx=0.05,ise=0.01,latency=50,seed=7. Known: "
            + known.map { "\($0.key) (\($0.meaning))" }.joined(separator: "; ") + "."
    }

    public init(parsing spec: String) throws {
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw FaultSpecError(text: "'\(part)' is not key=value") }
            let (key, value) = (kv[0].lowercased(), kv[1])
            func rate() throws -> Double {
                guard let r = Double(value), (0...1).contains(r) else { throw FaultSpecError(text: "\(key) needs a rate from 0 to 1, not \(value)") }
                return r
            }
            func millis() throws -> Int {
                let digits = value.lowercased().hasSuffix("ms") ? String(value.dropLast(2)) : value
                if value.lowercased().hasSuffix("s") && !value.lowercased().hasSuffix("ms"), let s = Double(value.dropLast()) { return Int(s * 1000) }
                guard let n = Int(digits), n >= 0 else { throw FaultSpecError(text: "\(key) needs milliseconds, not \(value)") }
                return n
            }
            switch key {
            case "5xx": serverErrorRate = try rate()
            case "ise", "500": bareErrorRate = try rate()
            case "429", "throttle": throttleRate = try rate()
            case "hang", "timeout": hangRate = try rate()
            case "hangfor": hangMilliseconds = try millis()
            case "lost": lostAnswerRate = try rate()
            case "late": lateWriteRate = try rate()
            case "lateby": lateMilliseconds = try millis()
            case "paging":
                guard let fault = PagingFault(rawValue: value.lowercased()) else {
                    throw FaultSpecError(text: "paging needs garbled, repeat or elsewhere, not \(value)")
                }
                paging = fault
            case "latency": latencyMilliseconds = try millis()
            case "outage": outage = ["1", "on", "true", "yes"].contains(value.lowercased())
            case "seed":
                guard let s = UInt64(value) else { throw FaultSpecError(text: "seed needs a whole number") }
                seed = s
            default: throw FaultSpecError(text: "unknown fault '\(key)' (known: \(Self.known.map(\.key).joined(separator: ", ")))")
            }
        }
    }

    public var description: String {
        "5xx=\(serverErrorRate),ise=\(bareErrorRate),429=\(throttleRate),hang=\(hangRate),hangFor=\(hangMilliseconds)ms,lost=\(lostAnswerRate),late=\(lateWriteRate),lateBy=\(lateMilliseconds)ms,\(paging.map { "paging=\($0.rawValue)," } ?? "")latency=\(latencyMilliseconds)ms,outage=\(outage ? "on" : "off"),seed=\(seed)"
    }
}

/// How a query's `nextPageUrl` is broken: not a URL, the page just read again, or another host.
public enum PagingFault: String, Sendable, Codable {
    case garbled, `repeat`, elsewhere
}

public struct FaultSpecError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "bad fault spec: \(text)" }
}

/// SplitMix64: small, fast and the same everywhere.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ rate: Double) -> Bool {
        rate > 0 && Double(next() >> 11) / Double(1 << 53) < rate
    }
}
