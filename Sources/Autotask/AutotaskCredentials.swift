/// One API user of one Autotask database. Neither `description`, `debugDescription`
/// nor a mirror (`dump`) shows the secret.
public struct AutotaskCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var userName: String
    public var integrationCode: String
    public var secret: String
    /// Whose requests these are: the zone cache, the concurrency limiter and
    /// the request records key on it, so that two tenants given the same API
    /// user neither share a cached zone nor charge each other's counts.
    /// Default: the user name.
    public var account: String

    public init(userName: String, integrationCode: String, secret: String, account: String? = nil) {
        self.userName = userName
        self.integrationCode = integrationCode
        self.secret = secret
        self.account = account ?? userName.lowercased()
    }

    public var description: String { "AutotaskCredentials(userName: \(userName), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["userName": userName, "integrationCode": integrationCode, "secret": "<redacted>", "account": account])
    }
}
