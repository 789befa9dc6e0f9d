public import Foundation

/// Where a tenant's run alerts go (sql/019): a Slack or Microsoft Teams
/// incoming webhook, or a generic JSON webhook signed with HMAC-SHA256.
public struct NotifyDestination: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case slack, teams, webhook
    }

    /// What a destination is told about; all by default.
    public enum Event: String, Sendable, Codable, CaseIterable {
        /// A run ended with failed jobs.
        case failures
        /// A run ended with changes held for approval.
        case held
        /// A run failed on the tenant's Autotask or Huntress credentials or permissions.
        case credentials
        /// A scheduled run did not start when due.
        case missed
        /// A run has waited on the hourly request budget for over an hour.
        case budget
    }

    public var destinationID: Int64
    public var name: String
    public var kind: Kind
    /// The URL's host: the URL itself is sealed (a Slack or Teams URL is its own credential).
    public var host: String
    public var events: [Event]
    public var lastDeliveredAt: Date?
    public var failingSince: Date?
    public var failures: Int
    public var lastError: String?
}

/// A destination's sealed part, opened: the URL and, for a webhook, the signing secret.
struct NotifyDestinationSecret: Codable, Sendable {
    var url: String
    var signingSecret: String?

    enum CodingKeys: String, CodingKey {
        case url, signingSecret = "signing_secret"
    }
}
