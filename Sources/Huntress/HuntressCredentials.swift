import Foundation

/// One Huntress account's API key pair. Neither `description`, `debugDescription`
/// nor a mirror (`dump`) shows the private key.
public struct HuntressCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The API key; Huntress's user name for Basic auth, and the key's id in records.
    public var publicKey: String
    public var privateKey: String

    public init(publicKey: String, privateKey: String) {
        self.publicKey = publicKey
        self.privateKey = privateKey
    }

    public var description: String { "HuntressCredentials(publicKey: \(publicKey), privateKey: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKey, "privateKey": "<redacted>"])
    }

    /// `Basic base64(public:private)`.
    var authorization: String {
        "Basic " + Data("\(publicKey):\(privateKey)".utf8).base64EncodedString()
    }

    /// Removes the private key, and the header made from it, from text that came from
    /// elsewhere (an error body), so no error text can carry them.
    func redact(_ text: String) -> String {
        var text = text
        for secret in [authorization, String(authorization.dropFirst("Basic ".count)), privateKey] where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return text
    }
}
