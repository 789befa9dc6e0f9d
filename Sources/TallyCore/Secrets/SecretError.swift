public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case noKey
    case badKey
    case unreadableKeyFile(String)
    case exposedKeyFile(path: String, problem: String)
    case wrongKey(stored: String, given: [String])
    case corrupt
    case sealFailed
    case missing(tenant: String, kind: String)

    /// A worker that lacks the key a secret was sealed with may be given it
    /// (a rotation under way): retried, not failed.
    public var isWrongKey: Bool {
        if case .wrongKey = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .noKey:
            "no secret key: set TALLY_SECRET_KEY to a base64 32-byte key (make one with `openssl rand -base64 32`) or TALLY_SECRET_KEY_FILE to a file holding it"
        case .badKey:
            "the secret key is not base64 of 32 bytes (several keys are separated by commas or lines): make one with `openssl rand -base64 32`"
        case .unreadableKeyFile(let path):
            "cannot read the secret key file \(path): check the path in TALLY_SECRET_KEY_FILE and its permissions"
        case .exposedKeyFile(let path, let problem):
            "the secret key file \(path) \(problem)"
        case .wrongKey(let stored, let given):
            "the secret was sealed with key \(stored) but this process holds key\(given.count == 1 ? "" : "s") \(given.joined(separator: ", ")): give it that key too (TALLY_SECRET_KEY may list the new and the old key, comma-separated), or re-enter the credentials"
        case .corrupt:
            "a stored secret does not open with the key of the same id: it is damaged or was copied from another tenant; re-enter the tenant's credentials"
        case .sealFailed:
            "could not seal the secret"
        case .missing(let tenant, let kind):
            "tenant \(tenant) has no \(kind == "autotask_secret" ? "Autotask API secret" : "Huntress API key"): set it with `tally tenant credentials \(tenant)`"
        }
    }
}
