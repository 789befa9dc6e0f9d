/// Huntress's JSON as the simulator answers it, field names as on the wire (from
/// Huntress's OpenAPI file for organizations), written apart from Tally's client.
struct HuntressWireOrganization: Encodable {
    var id: Int
    var account_id: Int
    var name: String
    var key: String
    var agents_count: Int
    var billable_identity_count: Int
    var created_at: String?
    var updated_at: String?
    // Fields Tally does not read, so the client is seen to ignore them.
    var incident_reports_count = 0
    var logs_sources_count = 0
    var sat_learner_count = 0
    var report_recipients: [String] = []
    var actual_usages: HuntressWireUsage?

    init(_ organization: SimHuntressOrganization, account: Int, withUsage: Bool) {
        id = organization.id
        account_id = account
        name = organization.name
        key = organization.key ?? "org\(organization.id)"
        agents_count = organization.agentsCount
        billable_identity_count = organization.billableIdentityCount
        created_at = organization.createdAt
        updated_at = organization.updatedAt
        actual_usages = withUsage ? HuntressWireUsage(organization) : nil
    }
}

struct HuntressWireUsage: Encodable {
    struct EDR: Encodable {
        var billable_agents_count: Int
        var unresponsive_agents_count = 0
        var outdated_agents_count = 0
        var isolated_agents_count = 0
    }

    struct IdentityProvider: Encodable {
        var type: String
        var identity_provider_tenant_id: String?
        var billable_identities_count: Int
        var total_identities_count: Int
    }

    struct SAT: Encodable {
        var learners_count = 0
    }

    var edr: EDR
    var itdr: [IdentityProvider]
    var sat = SAT()

    init(_ organization: SimHuntressOrganization) {
        edr = EDR(billable_agents_count: organization.billableAgentsCount)
        itdr = organization.identityProviders.map {
            IdentityProvider(
                type: $0.type, identity_provider_tenant_id: $0.tenantID, billable_identities_count: $0.billableIdentities,
                total_identities_count: $0.totalIdentities)
        }
    }
}

struct HuntressWirePage: Encodable {
    struct Pagination: Encodable {
        var next_page_token: String?
        var next_page_url: String?
    }

    var organizations: [HuntressWireOrganization]
    var pagination: Pagination
}

struct HuntressWireDetail: Encodable {
    var organization: HuntressWireOrganization
}

/// Huntress documents its errors only as a JSON body with a message; these are the
/// simulator's own words.
enum HuntressText {
    struct ErrorBody: Encodable {
        var status: Int
        var error: String
    }

    static func error(_ status: Int, _ text: String) -> SimResponse {
        .json(ErrorBody(status: status, error: text), status: status)
    }

    static func throttled(retryAfter seconds: Int) -> SimResponse {
        var response = error(429, "Rate limit exceeded: 60 requests per minute are allowed per API key.")
        response.headers.append(("Retry-After", String(seconds)))
        return response
    }

    static let unauthorized = "Unauthorized: the API key or secret is invalid."
    static let unavailable = "The service is temporarily unavailable. Please try again later."
    static let notFound = "Record not found."
    static let bare = "Internal Server Error"
    static let badLimit = "limit must be an integer from 1 to 500."
    static let badPageToken = "page_token is invalid."
}
