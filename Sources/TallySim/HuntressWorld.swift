/// Huntress accounts as the simulator is seeded with them (`POST /_sim/huntress/world`,
/// `tally-sim --huntress-world FILE`). Written apart from Tally's Huntress client.
public struct SimHuntressWorld: Sendable, Codable {
    public var accounts: [SimHuntressAccount]

    public init(accounts: [SimHuntressAccount] = []) {
        self.accounts = accounts
    }
}

/// One Huntress account (one MSP) and its API key pair.
public struct SimHuntressAccount: Sendable, Codable {
    public var id: Int
    public var name: String
    public var publicKey: String
    public var privateKey: String
    public var organizations: [SimHuntressOrganization]

    public init(id: Int, name: String, publicKey: String, privateKey: String, organizations: [SimHuntressOrganization] = []) {
        self.id = id
        self.name = name
        self.publicKey = publicKey
        self.privateKey = privateKey
        self.organizations = organizations
    }
}

/// One organization (an MSP's customer) with its counts.
public struct SimHuntressOrganization: Sendable, Codable {
    /// Unique across accounts, as Huntress's are; 0 in an admin call picks the next free one.
    public var id: Int
    public var name: String
    /// `orgID` when absent.
    public var key: String?
    /// Every agent (the list's `agents_count`).
    public var agentsCount: Int
    /// The agents Huntress bills (the detail's `actual_usages.edr.billable_agents_count`).
    public var billableAgentsCount: Int
    /// Identities per identity provider (the detail's `actual_usages.itdr`); the list's
    /// `billable_identity_count` is the sum of their billable counts.
    public var identityProviders: [SimHuntressIdentityProvider]
    /// ISO 8601; set by the simulator when absent.
    public var createdAt: String?
    public var updatedAt: String?

    public init(
        id: Int, name: String, key: String? = nil, agentsCount: Int = 0, billableAgentsCount: Int? = nil,
        billableIdentities: Int = 0, identityProviders: [SimHuntressIdentityProvider]? = nil, createdAt: String? = nil, updatedAt: String? = nil
    ) {
        self.id = id
        self.name = name
        self.key = key
        self.agentsCount = agentsCount
        self.billableAgentsCount = billableAgentsCount ?? agentsCount
        self.identityProviders = identityProviders ?? SimHuntressIdentityProvider.microsoft(billableIdentities)
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var billableIdentityCount: Int { identityProviders.reduce(0) { $0 + $1.billableIdentities } }

    enum CodingKeys: String, CodingKey {
        case id, name, key, agentsCount, billableAgentsCount, billableIdentities, identityProviders, createdAt, updatedAt
    }

    /// Only `name` is needed: the id defaults to 0 (the next free one), counts to 0,
    /// billable agents to every agent; `billableIdentities` makes one Microsoft tenant.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let agents = try c.decodeIfPresent(Int.self, forKey: .agentsCount) ?? 0
        self.init(
            id: try c.decodeIfPresent(Int.self, forKey: .id) ?? 0,
            name: try c.decode(String.self, forKey: .name),
            key: try c.decodeIfPresent(String.self, forKey: .key),
            agentsCount: agents,
            billableAgentsCount: try c.decodeIfPresent(Int.self, forKey: .billableAgentsCount),
            billableIdentities: try c.decodeIfPresent(Int.self, forKey: .billableIdentities) ?? 0,
            identityProviders: try c.decodeIfPresent([SimHuntressIdentityProvider].self, forKey: .identityProviders),
            createdAt: try c.decodeIfPresent(String.self, forKey: .createdAt),
            updatedAt: try c.decodeIfPresent(String.self, forKey: .updatedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(key, forKey: .key)
        try c.encode(agentsCount, forKey: .agentsCount)
        try c.encode(billableAgentsCount, forKey: .billableAgentsCount)
        try c.encode(identityProviders, forKey: .identityProviders)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
    }
}

public struct SimHuntressIdentityProvider: Sendable, Codable, Equatable {
    /// `microsoft`, `google`, …
    public var type: String
    public var tenantID: String?
    public var billableIdentities: Int
    public var totalIdentities: Int

    public init(type: String, tenantID: String? = nil, billableIdentities: Int, totalIdentities: Int? = nil) {
        self.type = type
        self.tenantID = tenantID
        self.billableIdentities = billableIdentities
        self.totalIdentities = totalIdentities ?? billableIdentities
    }

    /// One Microsoft tenant with `billable` identities, or none when 0.
    static func microsoft(_ billable: Int) -> [SimHuntressIdentityProvider] {
        billable > 0 ? [SimHuntressIdentityProvider(type: "microsoft", billableIdentities: billable)] : []
    }
}

/// Counts an admin call sets; absent ones stay. `billableIdentities` replaces the
/// identity providers by one Microsoft tenant with that many.
public struct SimHuntressCounts: Sendable, Codable {
    public var agentsCount: Int?
    public var billableAgentsCount: Int?
    public var billableIdentities: Int?
    public var identityProviders: [SimHuntressIdentityProvider]?

    public init(
        agentsCount: Int? = nil, billableAgentsCount: Int? = nil, billableIdentities: Int? = nil,
        identityProviders: [SimHuntressIdentityProvider]? = nil
    ) {
        self.agentsCount = agentsCount
        self.billableAgentsCount = billableAgentsCount
        self.billableIdentities = billableIdentities
        self.identityProviders = identityProviders
    }
}
