@testable import Autotask
import Foundation
import NIOHTTP1
import TallySim
import Testing

@Suite("Every failure is classified, with a message an MSP can act on")
struct ErrorClassificationTests {
    static let today = AutotaskDay(year: 2026, month: 3, day: 15)

    static func adjust(_ at: AutotaskSession, contract: Int, service: Int = Fixture.edr, on day: AutotaskDay = today, contractServiceID: Int? = nil) async -> AutotaskError? {
        await Fixture.autotaskError {
            _ = try await at.createContractServiceAdjustment(ContractServiceAdjustment(
                contractID: contract, serviceID: service, effectiveDate: day, unitChange: 1, contractServiceID: contractServiceID))
        }
    }

    @Test func credentialsAndPermissions() async throws {
        try await Fixture.with { f in
            var wrongSecret = Fixture.full
            wrongSecret.secret = "not-the-secret"
            let badSecret = await Fixture.autotaskError { _ = try await f.client.session(wrongSecret).companies() }
            #expect(badSecret?.reason == .badCredentials && badSecret?.kind == .permanent && badSecret?.status == 401)
            #expect(badSecret?.message.contains("secret") == true)

            var wrongCode = Fixture.full
            wrongCode.integrationCode = "IC-WRONG"
            let badCode = await Fixture.autotaskError { _ = try await f.client.session(wrongCode).companies() }
            #expect(badCode?.reason == .badCredentials && badCode?.kind == .permanent)

            let unknown = AutotaskCredentials(userName: "nobody@nowhere.example", integrationCode: "X", secret: "Y-secret")
            let unknownUser = await Fixture.autotaskError { _ = try await f.client.session(unknown).companies() }
            #expect(unknownUser?.reason == .badCredentials)
            #expect(unknownUser?.message.contains("nobody@nowhere.example") == true)

            let noContracts = await Fixture.autotaskError { _ = try await f.client.session(Fixture.noContracts).contracts(ids: [Fixture.recurring]) }
            #expect(noContracts?.reason == .missingPermission && noContracts?.kind == .permanent)
            #expect(noContracts?.message.contains("Contracts") == true)
            // The same user may still read what its security level allows.
            let readable = try await f.client.session(Fixture.noContracts).services()
            #expect(readable.count == 2)

            let noServices = await Fixture.autotaskError { _ = try await f.client.session(Fixture.noServices).services() }
            #expect(noServices?.reason == .missingPermission)

            for error in [badSecret, badCode, unknownUser, noContracts, noServices] {
                let text = "\(String(describing: error)) \(error?.autotaskErrors ?? [])"
                #expect(!text.contains(Fixture.full.secret) && !text.contains("not-the-secret") && !text.contains("Y-secret"))
            }
        }
    }

    @Test func contractValidation() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)
            let notRecurring = await Self.adjust(at, contract: Fixture.nonRecurring)
            #expect(notRecurring?.reason == .contractNotRecurring && notRecurring?.kind == .permanent && notRecurring?.status == 500)
            #expect(notRecurring?.message.contains("Recurring Service") == true)

            let inactive = await Self.adjust(at, contract: Fixture.inactive)
            #expect(inactive?.reason == .contractInactive && inactive?.kind == .permanent)
            #expect(inactive?.message.contains("reactivate") == true)

            let expired = await Self.adjust(at, contract: Fixture.expired)
            #expect(expired?.reason == .contractOutOfDates && expired?.kind == .permanent)
            let beforeStart = await Self.adjust(at, contract: Fixture.recurring, on: AutotaskDay(year: 2025, month: 12, day: 31))
            #expect(beforeStart?.reason == .contractOutOfDates)

            let notOnContract = await Self.adjust(at, contract: Fixture.recurring, service: Fixture.m365, contractServiceID: 1000)
            #expect(notOnContract?.reason == .serviceNotOnContract && notOnContract?.kind == .permanent)
            #expect(notOnContract?.message.contains("add it to the contract") == true)

            let noSuchService = await Self.adjust(at, contract: Fixture.recurring, service: 999)
            #expect(noSuchService?.reason == .validation && noSuchService?.kind == .permanent)

            #expect(await f.state.adjustments(database: "acme")?.isEmpty == true)
        }
    }

    @Test func injectedFaultsAreTransient() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)
            _ = try await at.companies()  // zone cached before the faults start

            await f.state.setFaults(try FaultSpec(parsing: "ise=1"))
            let bare = await Fixture.autotaskError { _ = try await at.contracts(ids: [Fixture.recurring, Fixture.inactive]) }
            #expect(bare?.reason == .serverError && bare?.isTransient == true && bare?.status == 500)
            #expect(bare?.request == AutotaskError.RequestSummary(method: "POST", entity: "Contracts", ids: [Fixture.recurring, Fixture.inactive]))
            #expect(bare?.description.contains("POST Contracts ids [100,102]") == true)

            await f.state.setFaults(try FaultSpec(parsing: "5xx=1"))
            let unavailable = await Fixture.autotaskError { _ = try await at.services() }
            #expect(unavailable?.reason == .serverError && unavailable?.isTransient == true && unavailable?.status == 503)

            await f.state.setFaults(try FaultSpec(parsing: "429=1"))
            let throttled = await Fixture.autotaskError { _ = try await at.services() }
            #expect(throttled?.reason == .threadLimit && throttled?.isTransient == true && throttled?.status == 429)
            #expect(await f.state.statistics().faultsInjected["429", default: 0] >= 1)

            await f.state.setFaults(try FaultSpec(parsing: "hang=1,hangFor=2500"))
            let impatient = AutotaskClient(configuration: AutotaskConfiguration(
                zoneLookupURL: URL(string: f.simulator.lookupURL)!, requestTimeout: .milliseconds(500)))
            let hang = await Fixture.autotaskError { _ = try await impatient.session(Fixture.full).services() }
            try await impatient.shutdown()
            #expect(hang?.reason == .timeout && hang?.isTransient == true)

            await f.state.setFaults(try FaultSpec(parsing: "outage=on"))
            let outage = await Fixture.autotaskError { _ = try await at.services() }
            #expect(outage?.isTransient == true)

            await f.state.setFaults(FaultSpec())
            #expect(try await at.services().count == 2)
        }
    }

    @Test func connectionRefusedIsTransient() async throws {
        // A port nothing listens on: bind a simulator, note its port, stop it.
        let simulator = try await SimServer.start(state: SimState())
        await simulator.stop()
        let client = AutotaskClient(configuration: AutotaskConfiguration(
            zoneLookupURL: URL(string: simulator.lookupURL)!, connectTimeout: .seconds(1), requestTimeout: .seconds(2)))
        let error = await Fixture.autotaskError { _ = try await client.session(Fixture.full).companies() }
        try await client.shutdown()
        #expect(error?.isTransient == true)
        #expect(error?.reason == .transport || error?.reason == .timeout)
    }

    @Test func classifiesAutotaskAnswers() {
        let request = AutotaskError.RequestSummary(method: "GET", entity: "Contracts", ids: [1])
        func reason(_ status: Int, _ text: String...) -> AutotaskError.Reason {
            ErrorClassifier.classify(status: status, errors: text, retryAfter: nil, request: request).reason
        }
        #expect(reason(401) == .badCredentials)
        #expect(reason(403, "whatever") == .missingPermission)
        #expect(reason(404, "The logged in user does not have permission") == .missingPermission)
        #expect(reason(404) == .notFound)
        #expect(reason(429, "Thread limit exceeded") == .threadLimit)
        #expect(reason(429, "The request threshold of 10000 requests per hour has been exceeded") == .budgetExhausted)
        #expect(reason(429) == .throttled)
        #expect(reason(500, "Internal Server Error") == .serverError)
        #expect(reason(500) == .serverError)
        #expect(reason(502, "Bad Gateway") == .serverError)
        #expect(reason(500, "Something no one expected happened.") == .serverError)
        let retry = ErrorClassifier.classify(status: 429, errors: [], retryAfter: .seconds(30), request: request)
        #expect(retry.retryAfter == .seconds(30) && retry.isTransient)
        var headers = HTTPHeaders()
        headers.add(name: "Retry-After", value: "Wed, 21 Oct 2026 07:28:30 GMT")
        let now = Date(timeIntervalSince1970: 1_792_567_700)  // 2026-10-21 07:28:20 UTC
        #expect(AutotaskSession.retryAfter(headers, now: now) == .seconds(10))
        for r in AutotaskError.Reason.allCases {
            #expect([AutotaskError.Kind.permanent, .transient].contains(r.kind))
        }
    }
}
