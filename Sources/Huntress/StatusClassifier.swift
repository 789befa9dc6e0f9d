import Foundation
import HTTPExchange
import NIOHTTP1

/// Turns a Huntress error answer into a `HuntressError`.
enum StatusClassifier {
    static func classify(status: Int, headers: HTTPHeaders, body: Data, request: String, credentials: HuntressCredentials) -> HuntressError {
        let said = huntressMessage(in: body).map(credentials.redact)
        func error(_ reason: HuntressError.Reason, _ message: String, retryAfter: Duration? = nil) -> HuntressError {
            HuntressError(reason: reason, message: message, status: status, huntressMessage: said, retryAfter: retryAfter, request: request)
        }
        switch status {
        case 401:
            return error(.badKey, Messages.badKey(credentials.publicKey))
        case 403:
            return error(.forbidden, Messages.forbidden(credentials.publicKey))
        case 404:
            return error(.notFound, "Huntress has no such record for this key (HTTP 404): the organization was removed, or belongs to another Huntress account.")
        case 429:
            return error(
                .throttled, "Huntress is throttling this key (60 requests a minute); the call will be retried.",
                retryAfter: clampedRetryAfter(headers.first(name: "Retry-After")))
        case 500...599:
            return error(.serverError, "Huntress is unavailable (HTTP \(status)); the call will be retried.")
        case 400:
            return error(.rejected, "Huntress refused the request as malformed (HTTP 400); this is a fault in Tally: report it with the request.")
        default:
            return error(.rejected, "Huntress refused the request (HTTP \(status)).")
        }
    }

    /// The wait a 429 asks for: seconds or an HTTP date, clamped to 1–60 s
    /// (missing or unreadable: 60 s, the length of Huntress's window).
    static func clampedRetryAfter(_ value: String?, now: Date = Date()) -> Duration {
        var headers = HTTPHeaders()
        if let value { headers.add(name: "Retry-After", value: value) }
        let wait = HTTPExchange.retryAfter(headers, now: now) ?? .seconds(60)
        return min(.seconds(60), max(.seconds(1), wait))
    }

    /// Huntress documents its error bodies only as "a JSON body with a human-readable
    /// message", so the usual keys are tried, then the text itself.
    static func huntressMessage(in body: Data) -> String? {
        struct Envelope: Decodable {
            var message: String?
            var error: String?
            var errors: [String]?
        }
        let envelope = try? JSONDecoder().decode(Envelope.self, from: body)
        let text = envelope.flatMap { $0.message ?? $0.error ?? $0.errors?.joined(separator: " ") }
            ?? String(decoding: body.prefix(300), as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(300))
    }
}

enum Messages {
    static func badKey(_ publicKey: String) -> String {
        "Huntress rejected the API key \(publicKey) (HTTP 401): the Huntress key is wrong or revoked. Create a key pair in the Huntress portal (Account settings › API Credentials) and give it to Tally with `tally tenant huntress TENANT`."
    }

    static func forbidden(_ publicKey: String) -> String {
        "Huntress refused the API key \(publicKey) (HTTP 403): the key lacks access to this account or organization, or was revoked. Check it in the Huntress portal and give Tally a working key pair with `tally tenant huntress TENANT`."
    }
}
