public import Foundation

/// How an `AutotaskClient` reaches Autotask.
public struct AutotaskConfiguration: Sendable {
    /// Where zones are looked up; `V1.0/zoneInformation` is appended.
    /// Tests point this at `tally-sim`.
    public var zoneLookupURL: URL
    public var connectTimeout: Duration
    /// Limit on a whole request, from sending to the last byte of the answer.
    public var requestTimeout: Duration
    /// Autotask allows 3 concurrent requests per API user and object endpoint.
    public var maxConcurrentRequestsPerEndpoint: Int
    /// Times a read (query, get) is repeated after a transient failure before the error is thrown.
    public var readRetries: Int
    /// HTTP connections kept to one host. Every tenant of a zone talks to the
    /// same host, so this bounds the requests in flight of the whole process.
    public var connectionsPerHost: Int
    /// Pages one query may take (500 records each): a `nextPageUrl` past it is an error, not a loop.
    public var maxPagesPerQuery = 2_000
    /// Called once for every HTTP request made (zone lookups included), so a caller
    /// can count a tenant's requests against its budget.
    public var onRequest: (@Sendable (AutotaskRequestRecord) async -> Void)?

    public static let defaultZoneLookupURL = URL(string: "https://webservices.autotask.net/ATServicesRest/")!

    /// Whether the API user's credentials may go to `url`, a zone the lookup answered:
    /// an https host under autotask.net, or the lookup host itself when the operator
    /// named one that is not Autotask's (the simulator). Anything else, whatever the
    /// lookup (or a spoofed one) says, receives nothing.
    public func mayReceiveCredentials(_ url: URL) -> Bool {
        if url.scheme?.lowercased() == "https", Self.isAutotaskHost(url) { return true }
        guard !Self.isAutotaskHost(zoneLookupURL) else { return false }
        return url.scheme?.lowercased() == zoneLookupURL.scheme?.lowercased()
            && url.host?.lowercased() == zoneLookupURL.host?.lowercased() && url.port == zoneLookupURL.port
    }

    static func isAutotaskHost(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        return host == "autotask.net" || host.hasSuffix(".autotask.net")
    }

    public init(
        zoneLookupURL: URL = AutotaskConfiguration.defaultZoneLookupURL,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(60),
        maxConcurrentRequestsPerEndpoint: Int = 3,
        readRetries: Int = 2,
        connectionsPerHost: Int = 64,
        onRequest: (@Sendable (AutotaskRequestRecord) async -> Void)? = nil
    ) {
        self.zoneLookupURL = zoneLookupURL
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConcurrentRequestsPerEndpoint = maxConcurrentRequestsPerEndpoint
        self.readRetries = readRetries
        self.connectionsPerHost = connectionsPerHost
        self.onRequest = onRequest
    }
}

/// One HTTP request made to Autotask, as reported to `AutotaskConfiguration.onRequest`.
public struct AutotaskRequestRecord: Sendable, Hashable {
    public var userName: String
    /// The credentials' `account`: whose request it was.
    public var account: String
    /// The object endpoint (`Contracts`, `ContractServiceUnits`, `zoneInformation`, …).
    public var entity: String
    public var method: String
    /// The HTTP status, or nil when no answer arrived (time-out, connection error).
    public var status: Int?
    public var duration: Duration

    public init(userName: String, account: String, entity: String, method: String, status: Int?, duration: Duration) {
        self.userName = userName
        self.account = account
        self.entity = entity
        self.method = method
        self.status = status
        self.duration = duration
    }
}
