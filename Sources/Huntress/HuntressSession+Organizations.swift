import Foundation

extension HuntressSession {
    /// Every organization of the account: `GET organizations?limit=N`, then the same with
    /// each answer's `page_token` until an answer has no `next_page_token` (1,200
    /// organizations at 500 a page: 3 requests). The token is sent to the configured
    /// base URL; `next_page_url` is never followed, so the key goes nowhere else.
    public func organizations() async throws -> [HuntressOrganization] {
        let limit = URLQueryItem(name: "limit", value: String(min(500, max(1, client.configuration.pageSize))))
        var organizations: [HuntressOrganization] = []
        var seenTokens: Set<String> = []
        var call = HuntressCall(path: "organizations", endpoint: "organizations", query: [limit])
        while true {
            let page = try decode(OrganizationsPage.self, from: try await read(call), call: call)
            organizations += page.organizations
            guard let token = page.pagination?.nextPageToken, !token.isEmpty else { return organizations }
            guard seenTokens.insert(token).inserted else {
                throw HuntressError(
                    reason: .invalidResponse, message: "Huntress answered the same next-page token twice while listing organizations; the listing was stopped.",
                    request: call.summary)
            }
            call.query = [limit, URLQueryItem(name: "page_token", value: token)]
        }
    }

    /// One organization with what Huntress bills for it: `GET organizations/{id}`.
    /// Throws `HuntressError` `.notFound` when the account has no such organization.
    public func organization(id: Int) async throws -> HuntressOrganizationDetail {
        let call = HuntressCall(path: "organizations/\(id)", endpoint: "organizations/{id}")
        let answer = try decode(OrganizationAnswer.self, from: try await read(call), call: call)
        return HuntressOrganizationDetail(organization: answer.organization.organization, usage: answer.organization.usage)
    }
}

struct OrganizationsPage: Decodable {
    var organizations: [HuntressOrganization]
    var pagination: Pagination?

    struct Pagination: Decodable {
        var nextPageToken: String?

        enum CodingKeys: String, CodingKey {
            case nextPageToken = "next_page_token"
        }

        /// Strict where leniency would be costly: a token Tally cannot read would end the
        /// listing early, and the organizations after it would look removed.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? c.decodeIfPresent(Int.self, forKey: .nextPageToken) {
                nextPageToken = String(number)
            } else {
                nextPageToken = try c.decodeIfPresent(String.self, forKey: .nextPageToken)
            }
        }
    }
}

struct OrganizationAnswer: Decodable {
    var organization: WithUsage

    /// An organization and its `actual_usages`, which may come as an object or, as the
    /// OpenAPI file types it, as a string holding JSON.
    struct WithUsage: Decodable {
        var organization: HuntressOrganization
        var usage: HuntressOrganizationUsage?

        enum CodingKeys: String, CodingKey {
            case actualUsages = "actual_usages"
        }

        init(from decoder: any Decoder) throws {
            organization = try HuntressOrganization(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let object = try? c.decodeIfPresent(HuntressOrganizationUsage.self, forKey: .actualUsages) {
                usage = object
            } else if let text = try? c.decodeIfPresent(String.self, forKey: .actualUsages) {
                usage = try? JSONDecoder().decode(HuntressOrganizationUsage.self, from: Data(text.utf8))
            }
        }
    }
}
