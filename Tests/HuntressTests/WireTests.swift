@testable import Huntress
import Foundation
import NIOHTTP1
import Testing

/// Decoding and classification without a server.
@Suite("Huntress wire format")
struct WireTests {
    @Test func organizationsDecodeLeniently() throws {
        let json = #"""
            {"organizations": [
              {"id": 7, "account_id": 5, "name": "Acme Inc.", "key": "acme", "agents_count": 42, "billable_identity_count": 12,
               "created_at": "2022-03-01T18:54:02Z", "updated_at": "2022-03-02T10:00:00.123Z",
               "incident_reports_count": 1, "report_recipients": ["a@b.c"], "sat_learner_count": 3},
              {"id": "8"},
              {"id": 9, "agents_count": null, "created_at": "yesterday"}
            ], "pagination": {"next_page_token": 1234, "next_page_url": "https://elsewhere.example/v1/organizations?page_token=1234"}}
            """#
        let page = try JSONDecoder().decode(OrganizationsPage.self, from: Data(json.utf8))
        #expect(page.pagination?.nextPageToken == "1234")
        let acme = page.organizations[0]
        #expect(acme == HuntressOrganization(
            id: 7, accountID: 5, name: "Acme Inc.", key: "acme", agentsCount: 42, billableIdentityCount: 12,
            createdAt: Date(timeIntervalSince1970: 1_646_160_842), updatedAt: acme.updatedAt))
        #expect(acme.updatedAt != nil)
        #expect(page.organizations[1] == HuntressOrganization(id: 8))
        #expect(page.organizations[2] == HuntressOrganization(id: 9))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OrganizationsPage.self, from: Data(#"{"organizations":[{"name":"x"}]}"#.utf8)) }
        #expect(try JSONDecoder().decode(OrganizationsPage.self, from: Data(#"{"organizations":[]}"#.utf8)).pagination == nil)
    }

    @Test func usageDecodesAsObjectOrString() throws {
        let usage = #"{"edr": {"billable_agents_count": 42, "unresponsive_agents_count": 2}, "sat": {"learners_count": 25},"#
            + #" "itdr": [{"type": "microsoft", "billable_identities_count": 100, "total_identities_count": 150},"#
            + #" {"type": "google", "billable_identities_count": 50, "total_identities_count": 75}],"#
            + #" "ispm": [{"type": "microsoft", "billable_identities_count": 100}]}"#
        let asObject = #"{"organization": {"id": 1, "name": "A", "actual_usages": \#(usage)}}"#
        let escaped = String(data: try JSONEncoder().encode(usage), encoding: .utf8)!
        let asString = #"{"organization": {"id": 1, "name": "A", "actual_usages": \#(escaped)}}"#
        for json in [asObject, asString] {
            let detail = try JSONDecoder().decode(OrganizationAnswer.self, from: Data(json.utf8)).organization
            let read = try #require(detail.usage)
            #expect(detail.organization.id == 1)
            #expect(read.billableAgents == 42 && read.edr?.unresponsiveAgentsCount == 2 && read.edr?.isolatedAgentsCount == nil)
            #expect(read.billableIdentities == 150 && read.totalIdentities == 225)
            #expect(read.ispm?.count == 1)
        }
        let none = try JSONDecoder().decode(OrganizationAnswer.self, from: Data(#"{"organization": {"id": 2}}"#.utf8)).organization
        #expect(none.usage == nil)
    }

    @Test func identitiesAreUnknownUnlessEveryProviderCounts() {
        let provider = HuntressOrganizationUsage.IdentityProvider.self
        #expect(HuntressOrganizationUsage(itdr: []).billableIdentities == 0)
        #expect(HuntressOrganizationUsage().billableIdentities == nil && HuntressOrganizationUsage().billableAgents == nil)
        let partial = HuntressOrganizationUsage(itdr: [provider.init(type: "microsoft", billableIdentitiesCount: 3), provider.init(type: "google", billableIdentitiesCount: nil)])
        #expect(partial.billableIdentities == nil)
    }

    @Test func retryAfterIsClampedToOneToSixtySeconds() {
        #expect(StatusClassifier.clampedRetryAfter("0") == .seconds(1))
        #expect(StatusClassifier.clampedRetryAfter("2.5") == .milliseconds(2500))
        #expect(StatusClassifier.clampedRetryAfter("3600") == .seconds(60))
        #expect(StatusClassifier.clampedRetryAfter(nil) == .seconds(60))
        #expect(StatusClassifier.clampedRetryAfter("soon") == .seconds(60))
        // Once a trap (Int64 overflow), now an hour clamped to a minute.
        #expect(StatusClassifier.clampedRetryAfter("1e300") == .seconds(60))
        #expect(StatusClassifier.clampedRetryAfter("inf") == .seconds(60))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(StatusClassifier.clampedRetryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now) == .seconds(20))
    }

    @Test func errorTextsNeverHoldTheKey() {
        let key = HuntressCredentials(publicKey: "pub-1", privateKey: "priv-secret-1")
        #expect("\(key)" == "HuntressCredentials(publicKey: pub-1, privateKey: <redacted>)")
        #expect(!String(reflecting: key).contains("priv-secret-1"))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("priv-secret-1"))

        // Were Huntress to echo the credentials, they would not reach the error.
        let echo = #"{"error": "bad header \#(key.authorization) for priv-secret-1"}"#
        for status in [400, 401, 403, 404, 429, 500, 503, 418] {
            let error = StatusClassifier.classify(
                status: status, headers: HTTPHeaders([("Retry-After", "5")]), body: Data(echo.utf8), request: "GET organizations", credentials: key)
            #expect(!"\(error)".contains("priv-secret-1") && !"\(error)".contains(key.authorization.dropFirst(6)), "\(status)")
            #expect(error.huntressMessage?.contains("<redacted>") == true)
        }
    }

    @Test func statusesAreClassified() {
        let key = HuntressCredentials(publicKey: "pub-1", privateKey: "priv-1")
        func reason(_ status: Int) -> HuntressError.Reason {
            StatusClassifier.classify(status: status, headers: [:], body: Data(), request: "GET organizations", credentials: key).reason
        }
        #expect(reason(400) == .rejected && reason(401) == .badKey && reason(403) == .forbidden && reason(404) == .notFound)
        #expect(reason(429) == .throttled && reason(500) == .serverError && reason(502) == .serverError && reason(422) == .rejected)
        #expect(HuntressError.Reason.allCases.filter(\.isTransientReason) == [.throttled, .serverError, .timeout, .transport])
    }
}

extension HuntressError.Reason {
    var isTransientReason: Bool { kind == .transient }
}
