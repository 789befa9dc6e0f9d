/// A failed Huntress call, classified for the queue: permanent failures need an MSP to
/// fix something (the key, usually); transient ones are retried later.
///
/// `description` is safe to show an MSP: it never holds the private key or the
/// Authorization header.
public struct HuntressError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case permanent
        case transient
    }

    /// Stable reason codes, for results and the dashboard.
    public enum Reason: String, Sendable, CaseIterable {
        /// 401: the key pair is wrong or revoked.
        case badKey
        /// 403: the key may not read this (the OpenAPI file's answer for credential problems).
        case forbidden
        case notFound
        /// 400 and other 4xx: Huntress refused the request itself.
        case rejected
        case throttled
        case serverError
        case timeout
        case transport
        case invalidResponse
        /// The configured base URL would send the key pair over plain http.
        case insecureURL

        public var kind: Kind {
            switch self {
            case .badKey, .forbidden, .notFound, .rejected, .invalidResponse, .insecureURL: .permanent
            case .throttled, .serverError, .timeout, .transport: .transient
            }
        }
    }

    public var reason: Reason
    /// What happened and what to do, in words an MSP can act on.
    public var message: String
    /// The HTTP status, when Huntress answered.
    public var status: Int?
    /// What Huntress said, trimmed and with any credential removed.
    public var huntressMessage: String?
    /// From a 429's `Retry-After`, clamped to 1–60 s.
    public var retryAfter: Duration?
    /// The call that failed (`GET organizations/42`): never a credential.
    public var request: String?

    public var kind: Kind { reason.kind }
    public var isTransient: Bool { kind == .transient }

    public init(
        reason: Reason, message: String, status: Int? = nil, huntressMessage: String? = nil,
        retryAfter: Duration? = nil, request: String? = nil
    ) {
        self.reason = reason
        self.message = message
        self.status = status
        self.huntressMessage = huntressMessage
        self.retryAfter = retryAfter
        self.request = request
    }

    public var description: String {
        var text = message
        if let huntressMessage, !huntressMessage.isEmpty { text += " Huntress said: \"\(huntressMessage)\"" }
        if let request, reason != .badKey { text += " (request: \(request))" }
        return text
    }
}
