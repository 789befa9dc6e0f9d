import Foundation

/// What Huntress bills an organization for (`actual_usages` of its detail).
public struct HuntressOrganizationUsage: Sendable, Hashable, Decodable {
    public struct EDR: Sendable, Hashable, Decodable {
        public var billableAgentsCount: Int?
        public var unresponsiveAgentsCount: Int?
        public var outdatedAgentsCount: Int?
        public var isolatedAgentsCount: Int?

        public init(
            billableAgentsCount: Int?, unresponsiveAgentsCount: Int? = nil, outdatedAgentsCount: Int? = nil, isolatedAgentsCount: Int? = nil
        ) {
            self.billableAgentsCount = billableAgentsCount
            self.unresponsiveAgentsCount = unresponsiveAgentsCount
            self.outdatedAgentsCount = outdatedAgentsCount
            self.isolatedAgentsCount = isolatedAgentsCount
        }

        enum CodingKeys: String, CodingKey {
            case billableAgentsCount = "billable_agents_count"
            case unresponsiveAgentsCount = "unresponsive_agents_count"
            case outdatedAgentsCount = "outdated_agents_count"
            case isolatedAgentsCount = "isolated_agents_count"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            billableAgentsCount = c.lenientInt(.billableAgentsCount)
            unresponsiveAgentsCount = c.lenientInt(.unresponsiveAgentsCount)
            outdatedAgentsCount = c.lenientInt(.outdatedAgentsCount)
            isolatedAgentsCount = c.lenientInt(.isolatedAgentsCount)
        }
    }

    /// One identity provider's identities (an entry of `itdr` or `ispm`).
    public struct IdentityProvider: Sendable, Hashable, Decodable {
        /// `microsoft`, `google`, …
        public var type: String?
        public var identityProviderTenantID: String?
        public var billableIdentitiesCount: Int?
        public var totalIdentitiesCount: Int?

        public init(type: String?, identityProviderTenantID: String? = nil, billableIdentitiesCount: Int?, totalIdentitiesCount: Int? = nil) {
            self.type = type
            self.identityProviderTenantID = identityProviderTenantID
            self.billableIdentitiesCount = billableIdentitiesCount
            self.totalIdentitiesCount = totalIdentitiesCount
        }

        enum CodingKeys: String, CodingKey {
            case type
            case identityProviderTenantID = "identity_provider_tenant_id"
            case billableIdentitiesCount = "billable_identities_count"
            case totalIdentitiesCount = "total_identities_count"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = c.lenientString(.type)
            identityProviderTenantID = c.lenientString(.identityProviderTenantID)
            billableIdentitiesCount = c.lenientInt(.billableIdentitiesCount)
            totalIdentitiesCount = c.lenientInt(.totalIdentitiesCount)
        }
    }

    /// Nil when the organization has no EDR usage reported.
    public var edr: EDR?
    /// Managed ITDR, per identity provider; nil when not reported.
    public var itdr: [IdentityProvider]?
    /// Identity security posture, per identity provider; nil when not reported.
    public var ispm: [IdentityProvider]?

    public init(edr: EDR? = nil, itdr: [IdentityProvider]? = nil, ispm: [IdentityProvider]? = nil) {
        self.edr = edr
        self.itdr = itdr
        self.ispm = ispm
    }

    /// The agents Huntress bills (EDR); nil when not reported.
    public var billableAgents: Int? { edr?.billableAgentsCount }

    /// The identities Huntress bills for Managed ITDR, summed over identity providers;
    /// nil when not reported, or not for every provider (an empty list is 0).
    public var billableIdentities: Int? { Self.sum(itdr, \.billableIdentitiesCount) }

    /// Every identity ITDR sees, summed over identity providers.
    public var totalIdentities: Int? { Self.sum(itdr, \.totalIdentitiesCount) }

    private static func sum(_ providers: [IdentityProvider]?, _ count: KeyPath<IdentityProvider, Int?>) -> Int? {
        guard let providers else { return nil }
        let counts = providers.compactMap { $0[keyPath: count] }
        return counts.count == providers.count ? counts.reduce(0, +) : nil
    }

    enum CodingKeys: String, CodingKey {
        case edr, itdr, ispm
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        edr = try? c.decodeIfPresent(EDR.self, forKey: .edr)
        itdr = Self.providers(c, .itdr)
        ispm = Self.providers(c, .ispm)
    }

    /// A list of providers; an unreadable entry is skipped rather than failing the rest.
    private static func providers(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> [IdentityProvider]? {
        guard let entries = try? c.decodeIfPresent([Lenient<IdentityProvider>].self, forKey: key) else { return nil }
        return entries.compactMap(\.value)
    }
}

/// A value that decodes to nil instead of failing.
struct Lenient<T: Decodable>: Decodable {
    var value: T?

    init(from decoder: any Decoder) throws {
        value = try? T(from: decoder)
    }
}
