public import Foundation
import Crypto

/// The key that seals tenants' secrets (AES-256-GCM). It lives outside the
/// database: `TALLY_SECRET_KEY` (base64 of 32 bytes) or the file named by
/// `TALLY_SECRET_KEY_FILE` (the same text). Its id, stored beside each sealed
/// secret, is derived from the key so a wrong key is named, not misread.
public struct SecretKey: Sendable {
    // The raw bytes: SymmetricKey is not Sendable.
    private let bytes: Data
    private var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// The first 8 bytes of SHA-256 of the key, in hex.
    public let id: String

    public init(base64 text: String) throws(SecretError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw SecretError.badKey
        }
        bytes = data
        id = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The key from the environment; `environment` is a parameter for tests.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> SecretKey {
        if let text = environment["TALLY_SECRET_KEY"], !text.isEmpty {
            return try SecretKey(base64: text)
        }
        if let path = environment["TALLY_SECRET_KEY_FILE"], !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SecretError.unreadableKeyFile(path) }
            return try SecretKey(base64: text)
        }
        throw SecretError.noKey
    }

    /// A new random key, base64 (for `tally secrets new-key` and tests).
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// nonce ‖ ciphertext ‖ tag.
    public func seal(_ secret: String) throws(SecretError) -> Data {
        do {
            guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else { throw SecretError.sealFailed }
            return combined
        } catch {
            throw SecretError.sealFailed
        }
    }

    public func open(_ sealed: Data, keyID: String) throws(SecretError) -> String {
        guard keyID == id else { throw SecretError.wrongKey(stored: keyID, given: id) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw SecretError.corrupt
        }
    }
}

public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case noKey
    case badKey
    case unreadableKeyFile(String)
    case wrongKey(stored: String, given: String)
    case corrupt
    case sealFailed
    case missing(tenant: String, kind: String)

    public var description: String {
        switch self {
        case .noKey:
            "no secret key: set TALLY_SECRET_KEY to a base64 32-byte key (make one with `openssl rand -base64 32`) or TALLY_SECRET_KEY_FILE to a file holding it"
        case .badKey:
            "the secret key is not base64 of 32 bytes: make one with `openssl rand -base64 32`"
        case .unreadableKeyFile(let path):
            "cannot read the secret key file \(path): check the path in TALLY_SECRET_KEY_FILE and its permissions"
        case .wrongKey(let stored, let given):
            "the secret was sealed with key \(stored) but the key given is \(given): set TALLY_SECRET_KEY to the key the secrets were sealed with, or re-enter the credentials"
        case .corrupt:
            "a stored secret does not open with the key of the same id: it is damaged; re-enter the tenant's credentials"
        case .sealFailed:
            "could not seal the secret"
        case .missing(let tenant, let kind):
            "tenant \(tenant) has no \(kind == "autotask_secret" ? "Autotask API secret" : "Huntress API key"): set it with `tally tenant credentials \(tenant)`"
        }
    }
}
