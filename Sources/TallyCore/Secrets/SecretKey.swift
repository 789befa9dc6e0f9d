public import Foundation
import Crypto

/// The keys that seal tenants' secrets (AES-256-GCM). They live outside the
/// database: `TALLY_SECRET_KEY` or the file named by `TALLY_SECRET_KEY_FILE`,
/// each holding one or more base64 keys of 32 bytes separated by commas or
/// line breaks. The first seals; every one opens what it sealed, chosen by
/// the key id stored beside each secret, so a worker given "NEW,OLD" opens
/// secrets sealed with either while `tally secrets rekey` moves them.
/// A secret is bound to its tenant and kind (GCM associated data): a sealed
/// value copied to another tenant's row does not open.
public struct SecretKey: Sendable {
    struct Entry: Sendable {
        // The raw bytes: SymmetricKey is not Sendable.
        let bytes: Data
        let id: String
        var key: SymmetricKey { SymmetricKey(data: bytes) }
    }

    private let entries: [Entry]
    /// The id of the key that seals (the first): the first 8 bytes of SHA-256 of the key, in hex.
    public var id: String { entries[0].id }
    /// The ids of every key held, the sealing key first.
    public var ids: [String] { entries.map(\.id) }

    public init(base64 text: String) throws(SecretError) {
        let parts = text.split(whereSeparator: { $0 == "," || $0.isNewline || $0 == " " }).map(String.init)
        guard !parts.isEmpty else { throw SecretError.badKey }
        var entries: [Entry] = []
        for part in parts {
            guard let data = Data(base64Encoded: part), data.count == 32 else { throw SecretError.badKey }
            let id = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
            if !entries.contains(where: { $0.id == id }) { entries.append(Entry(bytes: data, id: id)) }
        }
        self.entries = entries
    }

    /// A new random key, base64 (for `tally secrets new-key` and tests).
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// nonce ‖ ciphertext ‖ tag, sealed with the first key and bound to `binding`.
    public func seal(_ secret: String, for binding: SecretBinding) throws(SecretError) -> Data {
        try seal(secret, with: entries[0], for: binding)
    }

    /// Seals again with the key of id `keyID` (binding a legacy secret without moving it to another key).
    func seal(_ secret: String, keyID: String, for binding: SecretBinding) throws(SecretError) -> Data {
        guard let entry = entries.first(where: { $0.id == keyID }) else { throw SecretError.wrongKey(stored: keyID, given: ids) }
        return try seal(secret, with: entry, for: binding)
    }

    private func seal(_ secret: String, with entry: Entry, for binding: SecretBinding) throws(SecretError) -> Data {
        do {
            guard let combined = try AES.GCM.seal(Data(secret.utf8), using: entry.key, authenticating: binding.associatedData).combined else {
                throw SecretError.sealFailed
            }
            return combined
        } catch {
            throw SecretError.sealFailed
        }
    }

    /// Opens a secret sealed with the key of id `keyID`. `binding` nil: a secret
    /// sealed before secrets were bound (`tenant_secrets.bound` false).
    public func open(_ sealed: Data, keyID: String, binding: SecretBinding?) throws(SecretError) -> String {
        guard let entry = entries.first(where: { $0.id == keyID }) else { throw SecretError.wrongKey(stored: keyID, given: ids) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let opened = if let binding {
                try AES.GCM.open(box, using: entry.key, authenticating: binding.associatedData)
            } else {
                try AES.GCM.open(box, using: entry.key)
            }
            return String(decoding: opened, as: UTF8.self)
        } catch {
            throw SecretError.corrupt
        }
    }
}

/// What a sealed secret belongs to: its tenant and kind, authenticated with it.
public struct SecretBinding: Sendable, Equatable {
    public var tenantID: Int64
    public var kind: String

    public init(tenantID: Int64, kind: String) {
        self.tenantID = tenantID
        self.kind = kind
    }

    var associatedData: Data { Data("tally-secret/v2/tenant/\(tenantID)/\(kind)".utf8) }
}
