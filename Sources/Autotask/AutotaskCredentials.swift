/// One API user of one Autotask database. Neither `description`, `debugDescription`
/// nor a mirror (`dump`) shows the secret.
public struct AutotaskCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var userName: String
    public var integrationCode: String
    public var secret: String

    public init(userName: String, integrationCode: String, secret: String) {
        self.userName = userName
        self.integrationCode = integrationCode
        self.secret = secret
    }

    public var description: String { "AutotaskCredentials(userName: \(userName), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["userName": userName, "integrationCode": integrationCode, "secret": "<redacted>"])
    }
}
