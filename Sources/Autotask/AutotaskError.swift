/// A failed Autotask call, classified for the queue: permanent failures need an MSP
/// to fix something in Autotask; transient ones are retried.
///
/// `description` is safe to show an MSP and never holds a secret.
public struct AutotaskError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case permanent
        case transient
    }

    /// Stable reason codes; stored with results and shown on the dashboard.
    public enum Reason: String, Sendable, CaseIterable {
        case badCredentials
        case missingPermission
        case wrongZone
        case contractNotRecurring
        case contractInactive
        case contractOutOfDates
        case serviceNotOnContract
        case notFound
        case validation
        case throttled
        case threadLimit
        case budgetExhausted
        case serverError
        case timeout
        case transport
        case invalidResponse

        public var kind: Kind {
            switch self {
            case .badCredentials, .missingPermission, .wrongZone, .contractNotRecurring, .contractInactive,
                 .contractOutOfDates, .serviceNotOnContract, .notFound, .validation, .invalidResponse:
                .permanent
            case .throttled, .threadLimit, .budgetExhausted, .serverError, .timeout, .transport:
                .transient
            }
        }
    }

    /// The call that failed: enough for support to find it, never a secret.
    public struct RequestSummary: Sendable, Hashable, CustomStringConvertible {
        public var method: String
        public var entity: String
        public var ids: [Int]

        public var description: String {
            var text = "\(method) \(entity)"
            if !ids.isEmpty {
                let shown = ids.prefix(10).map(String.init).joined(separator: ",")
                text += " ids [\(shown)\(ids.count > 10 ? ", … \(ids.count) in all" : "")]"
            }
            return text
        }
    }

    public var reason: Reason
    /// What happened and what to fix, in words an MSP can act on.
    public var message: String
    /// The HTTP status, when Autotask answered.
    public var status: Int?
    /// What Autotask said (its `errors` texts), verbatim.
    public var autotaskErrors: [String]
    /// From a `Retry-After` header.
    public var retryAfter: Duration?
    public var request: RequestSummary?

    public var kind: Kind { reason.kind }
    public var isTransient: Bool { kind == .transient }

    public init(
        reason: Reason, message: String, status: Int? = nil, autotaskErrors: [String] = [],
        retryAfter: Duration? = nil, request: RequestSummary? = nil
    ) {
        self.reason = reason
        self.message = message
        self.status = status
        self.autotaskErrors = autotaskErrors
        self.retryAfter = retryAfter
        self.request = request
    }

    /// Whether Autotask answered a write with a refusal that proves nothing was
    /// written. A time-out, a lost connection, an unreadable answer or a 5xx with
    /// no known text leave the write's outcome unknown: it may land later.
    public var provesWriteRefused: Bool {
        guard status != nil else { return false }
        switch reason {
        case .serverError, .timeout, .transport, .invalidResponse: return false
        default: return true
        }
    }

    public var description: String {
        guard reason == .invalidResponse || reason == .serverError, let request, !message.contains(request.description) else {
            return message
        }
        return message + " (request: \(request))"
    }
}
