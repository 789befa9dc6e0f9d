import AsyncHTTPClient
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
        var httpConfiguration = HTTPClient.Configuration(
            // Never follow a redirect: it would carry the Secret header to another host.
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(configuration.connectTimeout))
        )
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost)
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The calls of one API user.
    public func session(_ credentials: AutotaskCredentials) -> AutotaskSession {
        AutotaskSession(client: self, credentials: credentials)
    }
}
