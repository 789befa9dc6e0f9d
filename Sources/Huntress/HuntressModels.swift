public import Foundation

// Checked against Huntress's OpenAPI file (organizations area; public copy in
// api-evangelist/huntress, openapi/huntress-organizations-api-openapi.yml) and APIS.md:
// - The spec's `required` lists name fields that no longer exist
//   (`microsoft_365_tenant_id`, `microsoft_365_users_count`, `notify_emails`), so it
//   requires nothing; every field here but `id` is optional, and unknown ones are ignored.
// - `actual_usages` is typed `string` in the spec, with an object as its example (as
//   APIS.md describes it): both an object and a string holding JSON are read.
// - The spec's example also has `ispm` (same shape as `itdr`), `sat` and `siem`; APIS.md
//   names only `edr` and `itdr`/`ispm`.
// - The spec documents 403 ("an issue with your API credential or permissions") on
//   every call and neither 401, 404 on a read, nor 429; APIS.md names 400, 401, 404,
//   429 and 500. Both are classified (`StatusClassifier`).
// - The spec says ids are int64 in bodies and int32 in the detail's path.
// - Lists sort by `id`, descending, unless `sort_field`/`sort_direction` say otherwise.

/// An organization (one MSP customer) as Huntress lists it.
public struct HuntressOrganization: Sendable, Hashable, Decodable {
    /// Huntress's id: organizations are matched by it, never by name.
    public var id: Int
    public var accountID: Int?
    public var name: String?
    /// The organization's key (its subdomain, which agents are installed with).
    public var key: String?
    /// Every agent, billable or not: billing it would overbill (the detail has billable agents).
    public var agentsCount: Int?
    /// Billable identities (Managed ITDR).
    public var billableIdentityCount: Int?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(
        id: Int, accountID: Int? = nil, name: String? = nil, key: String? = nil, agentsCount: Int? = nil,
        billableIdentityCount: Int? = nil, createdAt: Date? = nil, updatedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.key = key
        self.agentsCount = agentsCount
        self.billableIdentityCount = billableIdentityCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, key
        case accountID = "account_id"
        case agentsCount = "agents_count"
        case billableIdentityCount = "billable_identity_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = c.lenientInt(.id) else {
            throw DecodingError.keyNotFound(CodingKeys.id, .init(codingPath: c.codingPath, debugDescription: "an organization without an id"))
        }
        self.id = id
        accountID = c.lenientInt(.accountID)
        name = c.lenientString(.name)
        key = c.lenientString(.key)
        agentsCount = c.lenientInt(.agentsCount)
        billableIdentityCount = c.lenientInt(.billableIdentityCount)
        createdAt = c.lenientString(.createdAt).flatMap(HuntressTime.parse)
        updatedAt = c.lenientString(.updatedAt).flatMap(HuntressTime.parse)
    }
}

/// One organization's detail: what the list says, and what Huntress bills.
public struct HuntressOrganizationDetail: Sendable, Hashable {
    public var organization: HuntressOrganization
    /// `actual_usages`; nil when the answer had none Tally could read.
    public var usage: HuntressOrganizationUsage?

    public init(organization: HuntressOrganization, usage: HuntressOrganizationUsage?) {
        self.organization = organization
        self.usage = usage
    }
}

enum HuntressTime {
    static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

extension KeyedDecodingContainer {
    /// A number, or a string holding one; nil when missing, null or anything else.
    func lenientInt(_ key: Key) -> Int? {
        if let n = try? decodeIfPresent(Int.self, forKey: key) { return n }
        if let s = try? decodeIfPresent(String.self, forKey: key) { return Int(s.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    func lenientString(_ key: Key) -> String? {
        try? decodeIfPresent(String.self, forKey: key)
    }
}
