public import AsyncHTTPClient
import Foundation
import HTTPExchange
import TallyQueue
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
            let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
            return .refused(status: answer.status, text: ForeignText.bounded(text, limit: 300), retryAfter: HTTPExchange.retryAfter(answer.headers))
        case .failure(.timedOut(connecting: true)):
            return .unreachable("could not connect to \(destination.host) in time")
        case .failure(.unreachable(let what)) where !what.contains("remoteConnectionClosed"):
            return .unreachable("could not reach \(destination.host) (\(what))")
        case .failure(let failure):
            return .unknown(failure.sentence(calling: destination.host))
        }
    }
}
