import Crypto
import Foundation
public import Huntress
public import Postgres

/// A tenant's Huntress key pair, stored sealed (`tenant_secrets`, kind
/// `huntress_api_key`) as `PUBLIC:PRIVATE`.
public enum HuntressKey {
    /// Reads `PUBLIC:PRIVATE` (as Huntress shows the pair), refusing anything else.
    public static func parse(_ text: String) throws -> HuntressCredentials {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !parts[0].contains(where: \.isWhitespace), !parts[1].contains(where: \.isWhitespace)
        else {
            throw InputError("a Huntress key pair is PUBLIC_KEY:PRIVATE_KEY on one line (Huntress → API Credentials)")
        }
        return HuntressCredentials(publicKey: String(parts[0]), privateKey: String(parts[1]))
    }

    public static func store(_ credentials: HuntressCredentials, tenantID: Int64, key: SecretKey, on connection: Connection) async throws {
        try await TenantSecrets.store(
            "\(credentials.publicKey):\(credentials.privateKey)", kind: .huntressAPIKey, tenantID: tenantID, key: key, on: connection)
    }

    /// The tenant's key pair, or nil when it has none.
    public static func load(tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> HuntressCredentials? {
        try await TenantSecrets.load(.huntressAPIKey, tenantID: tenantID, key: key, on: connection).map(parse)
    }

    /// Whether the tenant takes usage from Huntress (has a key pair), without opening it.
    public static func isSet(tenantID: Int64, on connection: Connection) async throws -> Bool {
        try await !connection.query("""
            SELECT 1 FROM tenant_secrets WHERE tenant_id = \(tenantID) AND kind = \(TenantSecrets.Kind.huntressAPIKey.rawValue)
            """, name: "has huntress key").isEmpty
    }

    /// What the cluster-wide limit is counted under: a digest of the public key, never the key itself.
    static func digest(publicKey: String) -> String {
        SHA256.hash(data: Data(publicKey.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
