import Foundation

/// The simulated Huntress: accounts, organizations, the per-key limit, faults and
/// counts. A value kept by `SimState`, so it shares the actor's consistency.
struct HuntressBook: Sendable {
    struct Account: Sendable {
        var id: Int
        var name: String
        var publicKey: String
        var privateKey: String
    }

    struct Organization: Sendable {
        var accountID: Int
        var spec: SimHuntressOrganization
    }

    var accounts: [Int: Account] = [:]
    /// Public key → account id.
    var keys: [String: Int] = [:]
    private(set) var organizations: [Int: Organization] = [:]
    /// Account id → its organizations' ids, so that a page costs the account's size, not the whole world's.
    private var organizationIDs: [Int: Set<Int>] = [:]
    var nextOrganizationID = 1

    /// Requests admitted per key in any `windowSeconds`; nil lifts the limit.
    var requestsPerWindow: Int? = 60
    var windowSeconds: Double = 60
    var faults = FaultSpec()
    var random = SeededGenerator(seed: 1)

    /// Per key: when each request of the current window was admitted.
    var windows: [String: [Date]] = [:]
    var statistics = SimHuntressStatistics()

    /// Replaces every account and organization; limits, faults and statistics stay.
    mutating func load(_ world: SimHuntressWorld, now: Date) {
        accounts = [:]
        keys = [:]
        organizations = [:]
        organizationIDs = [:]
        nextOrganizationID = 1
        for account in world.accounts { addAccount(account, now: now) }
    }

    mutating func addAccount(_ account: SimHuntressAccount, now: Date) {
        if let old = accounts[account.id] {
            keys[old.publicKey] = nil
            for id in organizationIDs.removeValue(forKey: account.id) ?? [] { organizations[id] = nil }
        }
        accounts[account.id] = Account(id: account.id, name: account.name, publicKey: account.publicKey, privateKey: account.privateKey)
        keys[account.publicKey] = account.id
        for organization in account.organizations { _ = addOrganization(organization, account: account.id, now: now) }
    }

    /// Adds (or replaces, by id) an organization; nil when the account does not exist.
    mutating func addOrganization(_ organization: SimHuntressOrganization, account: Int, now: Date) -> SimHuntressOrganization? {
        guard accounts[account] != nil else { return nil }
        var spec = organization
        if spec.id <= 0 { spec.id = nextOrganizationID }
        spec.key = spec.key ?? "org\(spec.id)"
        spec.createdAt = spec.createdAt ?? Self.timestamp(now)
        spec.updatedAt = spec.updatedAt ?? spec.createdAt
        if let previous = organizations[spec.id] { organizationIDs[previous.accountID]?.remove(spec.id) }
        organizations[spec.id] = Organization(accountID: account, spec: spec)
        organizationIDs[account, default: []].insert(spec.id)
        nextOrganizationID = max(nextOrganizationID, spec.id + 1)
        return spec
    }

    mutating func rename(organization id: Int, to name: String, now: Date) -> Bool {
        update(id, now: now) { $0.name = name }
    }

    mutating func setCounts(organization id: Int, _ counts: SimHuntressCounts, now: Date) -> Bool {
        update(id, now: now) { spec in
            if let n = counts.agentsCount { spec.agentsCount = n }
            if let n = counts.billableAgentsCount { spec.billableAgentsCount = n }
            if let n = counts.billableIdentities { spec.identityProviders = SimHuntressIdentityProvider.microsoft(n) }
            if let providers = counts.identityProviders { spec.identityProviders = providers }
        }
    }

    mutating func remove(organization id: Int) -> Bool {
        guard let removed = organizations.removeValue(forKey: id) else { return false }
        organizationIDs[removed.accountID]?.remove(id)
        return true
    }

    private mutating func update(_ id: Int, now: Date, _ change: (inout SimHuntressOrganization) -> Void) -> Bool {
        guard var organization = organizations[id] else { return false }
        change(&organization.spec)
        organization.spec.updatedAt = Self.timestamp(now)
        organizations[id] = organization
        return true
    }

    /// An account's organizations, highest id first (Huntress's default order).
    func organizations(of account: Int) -> [SimHuntressOrganization] {
        (organizationIDs[account] ?? []).sorted(by: >).compactMap { organizations[$0]?.spec }
    }

    func world() -> SimHuntressWorld {
        SimHuntressWorld(accounts: accounts.values.sorted { $0.id < $1.id }.map { account in
            SimHuntressAccount(
                id: account.id, name: account.name, publicKey: account.publicKey, privateKey: account.privateKey,
                organizations: organizations(of: account.id).reversed())
        })
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
