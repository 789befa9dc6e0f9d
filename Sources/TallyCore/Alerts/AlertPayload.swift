import Crypto
public import Foundation

/// The bodies and headers an alert is sent with, per kind of destination.
enum AlertPayload {
    /// Slack incoming webhook: `text` (the notification and fallback) and blocks.
    static func slack(_ content: AlertContent) -> Data {
        let body = content.lines.map(slackEscaped).joined(separator: "\n")
        return json([
            "text": "\(slackEscaped(content.title))\n\(body)",
            "blocks": [
                ["type": "header", "text": ["type": "plain_text", "text": String(content.title.prefix(150))]],
                ["type": "section", "text": ["type": "mrkdwn", "text": String(body.prefix(3000))]],
            ],
        ])
    }

    /// Microsoft Teams incoming webhook (Workflows): a message with one Adaptive Card.
    static func teams(_ content: AlertContent) -> Data {
        let facts = content.counts.sorted { $0.key < $1.key }.map { ["title": $0.key, "value": String($0.value)] }
        let card: [String: Any] = [
            "type": "AdaptiveCard", "version": "1.4", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": [["type": "TextBlock", "text": content.title, "weight": "Bolder", "size": "Medium", "wrap": true]]
                + content.lines.map { ["type": "TextBlock", "text": $0, "wrap": true] }
                + [["type": "FactSet", "facts": facts]],
        ]
        return json([
            "type": "message", "summary": content.title,
            "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(), "content": card]],
        ])
    }

    /// The generic webhook's JSON: the content, the alert's identity and its idempotency key.
    static func webhook(_ content: AlertContent, idempotencyKey: String) -> Data {
        struct Body: Encodable {
            var idempotencyKey: String
            var text: String
            var content: AlertContent
            enum CodingKeys: String, CodingKey { case idempotencyKey, text, content = "alert" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(Body(idempotencyKey: idempotencyKey, text: ([content.title] + content.lines).joined(separator: "\n"), content: content))) ?? Data()
    }

    /// Slack's mrkdwn needs `&`, `<` and `>` escaped.
    static func slackEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}

/// The generic webhook's signature: HMAC-SHA256 with the destination's signing
/// secret over `TIMESTAMP.BODY`, sent as `X-Tally-Signature: v1=HEX` with
/// `X-Tally-Timestamp` (Unix seconds), so a receiver can check the sender and
/// refuse a replay older than a few minutes.
public enum WebhookSignature {
    public static func signature(body: Data, timestamp: Int, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// What a receiver does: the signature matches and the timestamp is within `tolerance` seconds of `now`.
    public static func verify(body: Data, timestamp: Int, signature: String, secret: String, now: Date = Date(), tolerance: Int = 300) -> Bool {
        abs(Int(now.timeIntervalSince1970) - timestamp) <= tolerance
            && Data(Self.signature(body: body, timestamp: timestamp, secret: secret).utf8).elementsEqual(Data(signature.utf8))
    }
}
