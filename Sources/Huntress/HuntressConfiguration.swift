public import Foundation

/// How a `HuntressClient` reaches Huntress.
public struct HuntressConfiguration: Sendable {
    /// The versioned API base; `organizations` and the like are resolved against it.
    /// Tests point it at `tally-sim` (`http://127.0.0.1:PORT/huntress/v1/`).
    public var baseURL: URL
    /// Hosts the client may call over plain http (e.g. `127.0.0.1` for the simulator).
    /// Any other host must be https: the key pair travels in every request.
    public var plainHTTPHosts: Set<String>
    public var connectTimeout: Duration
    /// Limit on a whole request, from sending to the last byte of the answer.
    public var requestTimeout: Duration
    /// Organizations asked for per page (Huntress accepts 1–500).
    public var pageSize: Int
    /// 429s waited out (for their `Retry-After`) per call before the error is thrown.
    public var throttleRetries: Int
    /// Times a call is repeated after a 5xx or no answer before the error is thrown.
    public var serverErrorRetries: Int
    /// First back-off after a 5xx or no answer; doubled each time, with jitter.
    public var serverErrorBackoff: Duration
    public var connectionsPerHost: Int
    /// Awaited before every HTTP request (retries included) with the key id (the public
    /// key), so a caller can hold the request until a rate-limit permit is free. An
    /// error it throws ends the call with that error, before anything is sent.
    public var beforeRequest: (@Sendable (String) async throws -> Void)?
    /// Called once for every HTTP request sent, so a caller can count a key's requests.
    public var onRequest: (@Sendable (HuntressRequestRecord) async -> Void)?

    public static let defaultBaseURL = URL(string: "https://api.huntress.io/v1/")!

    public init(
        baseURL: URL = HuntressConfiguration.defaultBaseURL,
        plainHTTPHosts: Set<String> = [],
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(60),
        pageSize: Int = 500,
        throttleRetries: Int = 3,
        serverErrorRetries: Int = 2,
        serverErrorBackoff: Duration = .milliseconds(500),
        connectionsPerHost: Int = 16,
        beforeRequest: (@Sendable (String) async throws -> Void)? = nil,
        onRequest: (@Sendable (HuntressRequestRecord) async -> Void)? = nil
    ) {
        self.baseURL = baseURL
        self.plainHTTPHosts = plainHTTPHosts
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.pageSize = pageSize
        self.throttleRetries = throttleRetries
        self.serverErrorRetries = serverErrorRetries
        self.serverErrorBackoff = serverErrorBackoff
        self.connectionsPerHost = connectionsPerHost
        self.beforeRequest = beforeRequest
        self.onRequest = onRequest
    }
}

/// One HTTP request made to Huntress, as reported to `HuntressConfiguration.onRequest`.
public struct HuntressRequestRecord: Sendable, Hashable {
    /// The public key the request was made with.
    public var keyID: String
    /// The path below the base URL, without the query: `organizations`, `organizations/42`.
    public var path: String
    /// `path` with ids replaced (`organizations/{id}`): few values, for metric labels.
    public var endpoint: String
    /// The HTTP status, or nil when no answer arrived (time-out, connection error).
    public var status: Int?
    public var duration: Duration
}
