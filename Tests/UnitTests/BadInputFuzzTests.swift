@testable import Autotask
import Foundation
@testable import Huntress
import NIOHTTP1
@testable import TallyCore
import TallyQueue
import Testing

/// Thousands of generated bad inputs (fixed seed) through the parsers that
/// read what operators, Autotask and Huntress send: none may crash the
/// process, and every refusal must be a clear message (issue 18). The counts
/// are in bench/README.md's reliability table.
@Suite("Bad input, generated")
struct BadInputFuzzTests {
    static let seed: UInt64 = 0x7A11_F022
    static let perParser = 3_000

    /// SplitMix64: the same inputs on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let tokens = [
        "\"", "\"\"", ",", "\n", "\r\n", "\r", "\u{FEFF}", "\u{0}", "\u{1B}[2J", "\u{9B}", "\u{2028}", " ", "\t", ":", "-",
        "99999999999999999999", "2147483648", "-1", "1e400", "1e300", "-0", "0x1F", "NaN", "null", "true", "{", "}", "[", "]",
        "\"x\":", "é", "🦀", "\\", "\\u0000", "\\ud800", "0", "31", "32", "24:00", "23:60", "2026-13-01", "9999-12-31T23:59:59Z",
        String(repeating: "[", count: 600), String(repeating: "9", count: 400), String(repeating: "a", count: 3_000),
    ]

    /// `text` with one to four edits: a token inserted, a range deleted or repeated, or the end cut off.
    static func mutate(_ text: String, _ random: inout Generator) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let at = Int.random(in: 0...scalars.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0, 1:
                scalars.insert(contentsOf: tokens.randomElement(using: &random)!.unicodeScalars, at: at)
            case 2 where at < scalars.count:
                scalars.removeSubrange(at..<min(scalars.count, at + Int.random(in: 1...8, using: &random)))
            case 3 where at < scalars.count:
                let range = at..<min(scalars.count, at + Int.random(in: 1...20, using: &random))
                scalars.insert(contentsOf: scalars[range], at: at)
            default:
                scalars = Array(scalars[..<at])
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// A refusal a person can act on: some words, no control characters, not a wall of text.
    static func isClear(_ message: String) -> Bool {
        message.count >= 10 && message.count <= 4_000 && !message.unicodeScalars.contains(where: DisplayName.isControl)
    }

    struct Tally: CustomStringConvertible {
        var tried = 0, accepted = 0, refused = 0, unclear: [String] = []
        /// Accepted: read by at least one decoder; refused counts each decoder's refusal.
        var description: String { "tried \(tried), accepted \(accepted), refusals \(refused), unclear \(unclear.count)" }
        mutating func refusal(_ message: String) {
            refused += 1
            if !BadInputFuzzTests.isClear(message) && unclear.count < 5 { unclear.append(message) }
        }

        /// One answer read by several decoders: read if any read it; each failure must be
        /// the decoders' own invalid-response refusal (`refusal` names it, nil: something else).
        mutating func answer(_ outcomes: [Result<Void, any Error>], classified: String, refusal: (any Error) -> String?) {
            tried += 1
            if !BadInputFuzzTests.isClear(ForeignText.bounded(classified)) && unclear.count < 5 { unclear.append(classified) }
            if outcomes.contains(where: { if case .success = $0 { true } else { false } }) { accepted += 1 }
            for case .failure(let error) in outcomes {
                guard let message = refusal(error) else {
                    unclear.append("not an invalid-response error: \(error)")
                    continue
                }
                self.refusal(message)
            }
        }
    }

    @Test func usageCSV() {
        var random = Generator(state: Self.seed)
        let valid = #"""
            organization_id,organization_name,product,units,observed_at
            1,"Contoso, Ltd",edr,57,2026-11-26T02:00:00Z
            2,Fabrikam,m365,3,
            3,"Say ""hi""",edr,0,2026-11-30T23:59:59Z
            """#
        var tally = Tally()
        for _ in 0..<Self.perParser {
            tally.tried += 1
            do {
                let rows = try UsageCSV.parse(Self.mutate(valid, &random), products: ["edr", "m365"])
                tally.accepted += 1
                #expect(rows.allSatisfy { $0.organizationID > 0 && (0...Int(Int32.max)).contains($0.units) })
                #expect(rows.allSatisfy { $0.organizationName.map { !$0.unicodeScalars.contains(where: DisplayName.isControl) } ?? true })
            } catch {
                tally.refusal(error.description)
            }
        }
        print("bad input, usage CSV: \(tally)")
        #expect(tally.unclear.isEmpty, "\(tally.unclear)")
        #expect(tally.refused > Self.perParser / 2, "\(tally)")
    }

    @Test func schedules() {
        var random = Generator(state: Self.seed &+ 1)
        let valid = ["daily 02:00", "monthly 31 23:59", "manual", "monthly 1 00:00"]
        var tally = Tally()
        for _ in 0..<Self.perParser {
            tally.tried += 1
            do {
                let schedule = try Schedule(parsing: Self.mutate(valid.randomElement(using: &random)!, &random))
                tally.accepted += 1
                if case .monthly(let day, let hour, let minute) = schedule {
                    #expect((1...31).contains(day) && (0...23).contains(hour) && (0...59).contains(minute))
                }
            } catch {
                tally.refusal(error.description)
            }
        }
        print("bad input, schedules: \(tally)")
        #expect(tally.unclear.isEmpty, "\(tally.unclear)")
    }

    @Test func autotaskAnswers() {
        var random = Generator(state: Self.seed &+ 2)
        let valid = [
            #"{"items":[{"id":7,"contractID":1100001,"contractServiceID":9,"serviceID":1000001,"startDate":"2026-11-01T00:00:00","endDate":"2026-11-30T00:00:00","units":57,"price":3.5}],"pageDetails":{"count":1,"requestCount":500,"prevPageUrl":null,"nextPageUrl":null}}"#,
            #"{"items":[{"id":1100001,"companyID":1001001,"contractName":"Managed","contractType":7,"status":1,"startDate":"2026-01-01T00:00:00","endDate":"2027-01-01T00:00:00"}],"pageDetails":{"count":1,"nextPageUrl":"https://webservices2.autotask.net/ATServicesRest/V1.0/Contracts/query/next?paging=abc"}}"#,
            #"{"externalRequestThreshold":10000,"requestThresholdTimeframe":60,"currentTimeframeRequestCount":42}"#,
            #"{"itemId":123}"#,
            #"{"errors":["Unit quantity must be greater than or equal to zero."]}"#,
            #"{"Message":"An error has occurred."}"#,
        ]
        var tally = Tally()
        for _ in 0..<Self.perParser {
            let body = Data(Self.mutate(valid.randomElement(using: &random)!, &random).utf8)
            let outcomes: [Result<Void, any Error>] = [
                Result { _ = try AutotaskSession.decodeAnswer(ItemsEnvelope<ContractServiceUnit>.self, from: body, entity: "ContractServiceUnits") },
                Result { _ = try AutotaskSession.decodeAnswer(ItemsEnvelope<Contract>.self, from: body, entity: "Contracts") },
                Result { _ = try AutotaskSession.decodeAnswer(ThresholdInformation.self, from: body, entity: "thresholdInformation") },
                Result { _ = try AutotaskSession.decodeAnswer(CreateResult.self, from: body, entity: "ContractServiceAdjustments") },
            ]
            let status = [400, 401, 403, 404, 405, 409, 429, 500, 502, 503, 504].randomElement(using: &random)!
            let classified = ErrorClassifier.classify(
                status: status, errors: AutotaskSession.errors(in: body), retryAfter: nil,
                request: .init(method: "POST", entity: "ContractServiceAdjustments", ids: []))
            tally.answer(outcomes, classified: classified.description) { error in
                (error as? AutotaskError).flatMap { $0.reason == .invalidResponse ? $0.description : nil }
            }
        }
        print("bad input, Autotask answers: \(tally)")
        #expect(tally.unclear.isEmpty, "\(tally.unclear)")
    }

    @Test func huntressAnswers() {
        var random = Generator(state: Self.seed &+ 3)
        let valid = [
            #"{"organizations":[{"id":77,"account_id":5,"name":"Contoso","key":"contoso","agents_count":12,"billable_identity_count":4,"created_at":"2026-01-01T00:00:00Z"}],"pagination":{"next_page_token":"abc","limit":500}}"#,
            #"{"organization":{"id":77,"name":"Contoso","actual_usages":{"edr":{"billable_agents_count":10},"itdr":[{"billable_identities_count":4}]}}}"#,
            #"{"organization":{"id":78,"name":"Fabrikam","actual_usages":"{\"edr\":{\"billable_agents_count\":3}}"}}"#,
            #"{"errors":["Unauthorized"],"message":"Invalid credentials"}"#,
        ]
        let call = HuntressCall(path: "organizations", endpoint: "organizations")
        let credentials = HuntressCredentials(publicKey: "hk_public", privateKey: "hk_private_secret")
        var tally = Tally()
        for _ in 0..<Self.perParser {
            let body = Data(Self.mutate(valid.randomElement(using: &random)!, &random).utf8)
            let outcomes: [Result<Void, any Error>] = [
                Result { _ = try HuntressSession.decodeAnswer(OrganizationsPage.self, from: body, call: call) },
                Result { _ = try HuntressSession.decodeAnswer(OrganizationAnswer.self, from: body, call: call) },
            ]
            let status = [400, 401, 403, 404, 429, 500, 502, 503].randomElement(using: &random)!
            let classified = StatusClassifier.classify(
                status: status, headers: HTTPHeaders([("Retry-After", Self.tokens.randomElement(using: &random)!)]), body: body,
                request: "GET organizations", credentials: credentials)
            #expect(!classified.description.contains("hk_private_secret"))
            tally.answer(outcomes, classified: classified.description) { error in
                (error as? HuntressError).flatMap { $0.reason == .invalidResponse ? $0.description : nil }
            }
        }
        print("bad input, Huntress answers: \(tally)")
        #expect(tally.unclear.isEmpty, "\(tally.unclear)")
    }
}
