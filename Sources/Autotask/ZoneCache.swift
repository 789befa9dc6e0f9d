import Foundation

/// Zone base URLs (`…/ATServicesRest/V1.0/`) per account (`AutotaskCredentials.account`:
/// a tenant, in Tally). Concurrent callers of an account without a known zone share one lookup.
actor ZoneCache {
    private var zones: [String: URL] = [:]
    private var lookups: [String: Task<URL, any Error>] = [:]

    func zone(for account: String) -> URL? { zones[account] }

    func zone(for account: String, lookUp: @escaping @Sendable () async throws -> URL) async throws -> URL {
        let key = account
        if let known = zones[key] { return known }
        if let running = lookups[key] { return try await running.value }
        let lookup = Task { try await lookUp() }
        lookups[key] = lookup
        defer { lookups[key] = nil }
        let url = try await lookup.value
        zones[key] = url
        return url
    }

    func forget(_ account: String) { zones[account] = nil }
}

enum ZoneURL {
    /// The versioned base from the zone's `url` (the `ATServicesRest/` base without a
    /// version). Autotask's answer may or may not end with a slash, so the join
    /// tolerates a doubled or missing one.
    static func versionedBase(from answered: String) -> URL? {
        var text = answered.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/V1.0/")
    }
}
