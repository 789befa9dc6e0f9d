import AsyncHTTPClient
import HTTPExchange
import Foundation
public import Logging
import NIOCore
import NIOHTTP1

/// Talks to Autotask's REST API for any number of tenants (API users).
///
/// One client per process: it owns the HTTP connection pool, the zone cache and the
/// per-(user, endpoint) concurrency limit. Call `shutdown()` when done.
public final class AutotaskClient: Sendable {
    public let configuration: AutotaskConfiguration
    let http: HTTPClient
    let zones = ZoneCache()
    let limiter: ConcurrencyLimiter
    let logger: Logger

    public init(configuration: AutotaskConfiguration = AutotaskConfiguration(), logger: Logger = Logger(label: "tally.autotask")) {
        self.configuration = configuration
        self.logger = logger
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequestsPerEndpoint)
        // Never follows a redirect: it would carry the Secret header to another host.
        self.http = HTTPExchange.makeClient(
            connectTimeout: configuration.connectTimeout, connectionsPerHost: configuration.connectionsPerHost)
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The calls of one API user.
    public func session(_ credentials: AutotaskCredentials) -> AutotaskSession {
        AutotaskSession(client: self, credentials: credentials)
    }
}
