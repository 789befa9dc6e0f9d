public import AsyncHTTPClient
import Foundation
import HTTPExchange
import NIOHTTP1

/// Sends one alert to one destination over HTTP, and says how it went.
public struct AlertSender: Sendable {
    public enum Result: Sendable, Equatable {
        /// 2xx.
        case delivered(status: Int)
        /// The destination answered no (it did not take the message); `retryAfter` from a 429 or 503.
        case refused(status: Int, text: String, retryAfter: Duration?)
        /// No answer: it may have arrived.
        case unknown(String)
        /// Not sent: no connection was made.
        case unreachable(String)

        /// Whether the destination has the message: nil when no answer came.
        var delivered: Bool? {
            switch self {
            case .delivered: true
            case .refused, .unreachable: false
            case .unknown: nil
            }
        }

        /// The outcome as the delivery and the destination's `last_error` record it.
        public var outcome: String {
            switch self {
            case .delivered(let status): "HTTP \(status)"
            case .refused(let status, let text, _): "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
            case .unreachable(let what), .unknown(let what): what
            }
        }
    }

    let http: HTTPClient
    let timeout: Duration

    public init(http: HTTPClient, timeout: Duration = .seconds(10)) {
        self.http = http
        self.timeout = timeout
    }

    public static func makeClient() -> HTTPClient {
        HTTPExchange.makeClient(connectTimeout: .seconds(5), connectionsPerHost: 4)
    }

    func send(_ content: AlertContent, to destination: NotifyDestination, secret: NotifyDestinationSecret, idempotencyKey: String, now: Date = Date()) async -> Result {
        var request = HTTPClientRequest(url: secret.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Tally alerts")
        let body: Data
        switch destination.kind {
        case .slack: body = AlertPayload.slack(content)
        case .teams: body = AlertPayload.teams(content)
        case .webhook:
            body = AlertPayload.webhook(content, idempotencyKey: idempotencyKey)
            let timestamp = Int(now.timeIntervalSince1970)
            request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
            request.headers.add(name: "X-Tally-Timestamp", value: String(timestamp))
            request.headers.add(name: "X-Tally-Signature", value: WebhookSignature.signature(body: body, timestamp: timestamp, secret: secret.signingSecret ?? ""))
        }
        request.body = .bytes(body)
        switch await HTTPExchange.send(request, with: http, timeout: timeout) {
        case .success(let answer) where (200..<300).contains(answer.status):
            return .delivered(status: answer.status)
        case .success(let answer):
            return .refused(status: answer.status, text: Self.errorCode(answer.body), retryAfter: HTTPExchange.retryAfter(answer.headers))
        case .failure(.timedOut(connecting: true)):
            return .unreachable("could not connect to \(destination.host) in time")
        case .failure(.unreachable(let what)) where Self.failedToConnect(what):
            return .unreachable("could not connect to \(destination.host)")
        case .failure(let failure):
            // Anything after the connection was made: the destination may have the message.
            return .unknown(failure.sentence(calling: destination.host))
        }
    }

    /// Whether a failure happened before any byte of the request could be sent.
    static func failedToConnect(_ what: String) -> Bool {
        let lowered = what.lowercased()
        return ["nioconnectionerror", "connectfailed", "connecttimeout", "connection refused", "dns", "noaddress"].contains { lowered.contains($0) }
    }

    /// A destination's answer is kept only when it is a short error code (Slack's
    /// `invalid_token`, `no_service`): a proxy's error page may repeat the
    /// request's path, and a Slack or Teams path is the secret.
    static func errorCode(_ body: Data) -> String {
        let text = String(decoding: body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.range(of: "^[A-Za-z0-9_.-]{1,60}$", options: .regularExpression) != nil ? text : ""
    }
}
