import Foundation

/// Zone base URLs (`…/ATServicesRest/V1.0/`) per API user.
actor ZoneCache {
    private var zones: [String: URL] = [:]

    func zone(for userName: String) -> URL? { zones[userName.lowercased()] }

    func remember(_ url: URL, for userName: String) { zones[userName.lowercased()] = url }

    func forget(_ userName: String) { zones[userName.lowercased()] = nil }
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
