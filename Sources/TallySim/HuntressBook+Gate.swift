import Foundation

/// What the simulated Huntress counted; `GET /_sim/huntress/stats`.
public struct SimHuntressStatistics: Sendable, Codable {
    /// Public key → requests with the right key pair (refused ones included).
    public var requests: [String: Int] = [:]
    /// Public key → requests admitted past the limit.
    public var admitted: [String: Int] = [:]
    /// Public key → 429s answered because the key's limit was reached.
    public var throttled: [String: Int] = [:]
    /// Public key → most requests admitted within one window (any 60 s by default).
    public var mostInAnyWindow: [String: Int] = [:]
    /// Requests refused with 401: a missing, unknown or wrong key pair.
    public var unauthorized: Int = 0
    /// Fault (`5xx`, `ise`, `429`, `hang`, `outage`) → calls it was injected into.
    public var faultsInjected: [String: Int] = [:]

    public init() {}
}

/// A call that passed the key check and the limit.
struct HuntressAdmission: Sendable {
    var accountID: Int
    var delayMilliseconds: Int
    var fault: FaultAction
}

enum HuntressGate: Sendable {
    case refused(SimResponse)
    case admitted(HuntressAdmission)
}

extension HuntressBook {
    /// Checks the key pair, then the key's sliding-window limit, then draws faults:
    /// an outage first, as nothing else answers then.
    mutating func admit(authorization: String?, now: Date) -> HuntressGate {
        if faults.outage {
            statistics.faultsInjected["outage", default: 0] += 1
            return .refused(HuntressText.error(503, HuntressText.unavailable))
        }
        guard let (publicKey, privateKey) = Self.basicCredentials(authorization), let accountID = keys[publicKey],
              accounts[accountID]?.privateKey == privateKey
        else {
            statistics.unauthorized += 1
            return .refused(HuntressText.error(401, HuntressText.unauthorized))
        }
        statistics.requests[publicKey, default: 0] += 1
        if let wait = limitWait(publicKey, now: now) {
            statistics.throttled[publicKey, default: 0] += 1
            return .refused(HuntressText.throttled(retryAfter: wait))
        }
        if random.chance(faults.throttleRate) {
            statistics.faultsInjected["429", default: 0] += 1
            return .refused(HuntressText.throttled(retryAfter: 1))
        }
        windows[publicKey, default: []].append(now)
        statistics.admitted[publicKey, default: 0] += 1
        let inWindow = windows[publicKey]!.count
        statistics.mostInAnyWindow[publicKey] = max(statistics.mostInAnyWindow[publicKey] ?? 0, inWindow)

        let fault: FaultAction =
            random.chance(faults.hangRate) ? .hang(milliseconds: faults.hangMilliseconds)
            : random.chance(faults.bareErrorRate) ? .bare
            : random.chance(faults.serverErrorRate) ? .serverError
            : .none
        switch fault {
        case .hang: statistics.faultsInjected["hang", default: 0] += 1
        case .bare: statistics.faultsInjected["ise", default: 0] += 1
        case .serverError: statistics.faultsInjected["5xx", default: 0] += 1
        case .none, .lostAnswer, .lateWrite: break
        }
        return .admitted(HuntressAdmission(accountID: accountID, delayMilliseconds: faults.latencyMilliseconds, fault: fault))
    }

    /// Whole seconds until the key may call again, or nil when it may now. Only admitted
    /// requests fill the window, so a client that waits as told is served next time.
    private mutating func limitWait(_ publicKey: String, now: Date) -> Int? {
        let cutoff = now.addingTimeInterval(-windowSeconds)
        var window = windows[publicKey] ?? []
        if let firstKept = window.firstIndex(where: { $0 > cutoff }) {
            window.removeFirst(firstKept)
        } else {
            window.removeAll()
        }
        windows[publicKey] = window
        guard let limit = requestsPerWindow, window.count >= limit, let oldest = window.first else { return nil }
        return max(1, Int(oldest.addingTimeInterval(windowSeconds).timeIntervalSince(now).rounded(.up)))
    }

    mutating func setFaults(_ spec: FaultSpec) {
        faults = spec
        random = SeededGenerator(seed: spec.seed)
    }

    mutating func resetStatistics() {
        statistics = SimHuntressStatistics()
        windows = [:]
    }

    /// `Basic base64(public:private)`.
    static func basicCredentials(_ header: String?) -> (String, String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: header.dropFirst(6).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
