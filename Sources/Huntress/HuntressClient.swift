import AsyncHTTPClient
import HTTPExchange
import Foundation
public import Logging
import NIOCore

/// Talks to Huntress's public API for any number of accounts (key pairs).
///
/// One client per process: it owns the HTTP connection pool. Call `shutdown()` when done.
public final class HuntressClient: Sendable {
    public let configuration: HuntressConfiguration
    /// `configuration.baseURL`, ending with a slash so paths resolve below it.
    let baseURL: URL
    let http: HTTPClient
    let logger: Logger

    /// Throws `HuntressError` (`.insecureURL`) when the base URL is not https and its
    /// host is not in `plainHTTPHosts`.
    public init(configuration: HuntressConfiguration = HuntressConfiguration(), logger: Logger = Logger(label: "tally.huntress")) throws {
        self.baseURL = try Self.checkedBase(configuration)
        self.configuration = configuration
        self.logger = logger
        // Never follows a redirect: it would carry the Authorization header to another host.
        self.http = HTTPExchange.makeClient(
            connectTimeout: configuration.connectTimeout, connectionsPerHost: configuration.connectionsPerHost)
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The calls of one Huntress account.
    public func session(_ credentials: HuntressCredentials) -> HuntressSession {
        HuntressSession(client: self, credentials: credentials)
    }

    private static func checkedBase(_ configuration: HuntressConfiguration) throws -> URL {
        let url = configuration.baseURL
        let scheme = url.scheme?.lowercased()
        let host = url.host?.lowercased() ?? ""
        let plainAllowed = configuration.plainHTTPHosts.contains { $0.lowercased() == host }
        guard !host.isEmpty, scheme == "https" || (scheme == "http" && plainAllowed) else {
            throw HuntressError(
                reason: .insecureURL,
                message: "The Huntress URL \(url.absoluteString) is not https: Tally sends the key pair only over https (plain http only to a host the configuration allows, such as a local simulator).")
        }
        let text = url.absoluteString
        return text.hasSuffix("/") ? url : URL(string: text + "/")!
    }
}
