@testable import Autotask
import Foundation
import Testing

/// `ErrorClassifier.classify` fed statuses and texts directly, and the parsing of
/// error bodies and `Retry-After` in front of it: no HTTP, no simulator.
@Suite("ErrorClassifier turns Autotask's answers into reasons an MSP can act on")
struct ErrorClassifierTests {
    static let read = AutotaskError.RequestSummary(method: "POST", entity: "Contracts", ids: [100, 102])
    static let write = AutotaskError.RequestSummary(method: "POST", entity: "ContractServiceAdjustments", ids: [])

    static func classify(
        _ status: Int, _ errors: String..., retryAfter: Duration? = nil, request: AutotaskError.RequestSummary = read
    ) -> AutotaskError {
        ErrorClassifier.classify(status: status, errors: errors, retryAfter: retryAfter, request: request)
    }

    /// The classification of an answer whose body is these bytes, as the session reads it.
    static func classify(_ status: Int, body: String) -> AutotaskError {
        ErrorClassifier.classify(
            status: status, errors: AutotaskSession.errors(in: Data(body.utf8)), retryAfter: nil, request: write)
    }

    // MARK: Reasons and their kinds

    @Test func everyReasonHasTheKindTheDesignGivesIt() {
        let transient: Set<AutotaskError.Reason> = [.throttled, .threadLimit, .budgetExhausted, .serverError, .timeout, .transport]
        for reason in AutotaskError.Reason.allCases {
            #expect(reason.kind == (transient.contains(reason) ? .transient : .permanent), "\(reason)")
        }
        #expect(AutotaskError.Reason.allCases.count == 16)
    }

    // MARK: 401, 403, 404 and other 4xx

    @Test func unauthorizedIsBadCredentialsAndQuotesAutotask() {
        let error = Self.classify(401, "Invalid secret")
        #expect(error.reason == .badCredentials && error.kind == .permanent && !error.isTransient)
        #expect(error.status == 401 && error.autotaskErrors == ["Invalid secret"] && error.request == Self.read)
        #expect(error.message == Messages.badCredentials + " Autotask said: \"Invalid secret\"")
        #expect(error.message.contains("integration code") && error.message.contains("secret"))
        // Nothing said: no empty quote.
        #expect(Self.classify(401).message == Messages.badCredentials)
        #expect(Self.classify(401).description == Messages.badCredentials)
    }

    @Test func forbiddenIsMissingPermissionForTheEntityCalled() {
        let error = Self.classify(403, "The logged in user does not have permission to access Contracts.")
        #expect(error.reason == .missingPermission && error.kind == .permanent && error.status == 403)
        #expect(error.message.hasPrefix("The Autotask API user lacks permission for Contracts: "))
        #expect(error.message.contains("Admin › Security Levels"))
        #expect(error.message.hasSuffix("Autotask said: \"The logged in user does not have permission to access Contracts.\""))
        // 403 needs no text to be a permission problem.
        #expect(Self.classify(403).reason == .missingPermission)
    }

    @Test func notFoundUnlessItSpeaksOfPermission() {
        let missing = Self.classify(404)
        #expect(missing.reason == .notFound && missing.kind == .permanent)
        #expect(missing.message == "Autotask has no Contracts record for POST Contracts ids [100,102].")
        for text in ["User does not have PERMISSION", "Not authorized for this resource", "Access denied"] {
            #expect(Self.classify(404, text).reason == .missingPermission, "\(text)")
        }
        #expect(Self.classify(404, "No HTTP resource was found that matches the request URI.").reason == .notFound)
    }

    @Test func otherStatusesAreValidationUnlessTheySpeakOfPermission() {
        let error = Self.classify(400, "unitChange is required.", request: Self.write)
        #expect(error.reason == .validation && error.kind == .permanent && error.status == 400)
        #expect(error.message == "Autotask rejected POST ContractServiceAdjustments (HTTP 400). Autotask said: \"unitChange is required.\"")
        #expect(Self.classify(405, "can only be created").reason == .validation)
        #expect(Self.classify(415).reason == .validation)
        #expect(Self.classify(400, "You are not authorized").reason == .missingPermission)
    }

    // MARK: 429

    @Test func hourlyThresholdIsBudgetExhausted() {
        for text in [
            "The request threshold of 10000 requests per hour has been exceeded for this database.",
            "You have reached the LIMIT OF 10000 requests per HOUR.",
        ] {
            let error = Self.classify(429, text)
            #expect(error.reason == .budgetExhausted && error.isTransient, "\(text)")
            #expect(error.message.hasPrefix(Messages.budgetExhausted))
        }
    }

    @Test func threadLimitIsTransientAndNamesTheEntity() {
        for text in ["Thread limit exceeded: at most 3 concurrent requests", "Too many CONCURRENT requests"] {
            let error = Self.classify(429, text)
            #expect(error.reason == .threadLimit && error.kind == .transient, "\(text)")
            #expect(error.message.contains("too many concurrent requests for this API user on Contracts"))
        }
        // "limit of" without "hour" is not the hourly budget.
        #expect(Self.classify(429, "limit of 3 threads").reason == .threadLimit)
    }

    @Test func retryAfterIsKeptWhateverTheAnswer() {
        let plain = Self.classify(429)
        #expect(plain.reason == .throttled && plain.isTransient && plain.retryAfter == nil)
        #expect(plain.message == "Autotask is throttling this API user; the call will be retried.")
        #expect(Self.classify(429, retryAfter: .seconds(30)).retryAfter == .seconds(30))
        #expect(Self.classify(429, "Thread limit", retryAfter: .milliseconds(1500)).retryAfter == .milliseconds(1500))
        #expect(Self.classify(503, retryAfter: .seconds(5)).retryAfter == .seconds(5))
        #expect(Self.classify(401, retryAfter: .seconds(5)).retryAfter == .seconds(5))
    }

    // MARK: 5xx

    @Test func bare500IsTransientAndNamesTheRequest() {
        for text in ["", "Internal Server Error", "  internal server error.\n", "An error has occurred."] {
            let error = Self.classify(500, text)
            #expect(error.reason == .serverError && error.isTransient, "\(text)")
            #expect(error.message ==
                "Autotask answered HTTP 500 with no explanation; it will be retried. If it persists, give Autotask support the request: POST Contracts ids [100,102].")
            // The request is in the message already, so the description does not repeat it.
            #expect(error.description == error.message)
        }
        #expect(Self.classify(500, "Internal Server Error").autotaskErrors == ["Internal Server Error"])
    }

    @Test func otherServerErrorsAreTransientAndTheDescriptionAddsTheRequest() {
        for status in [502, 503, 504, 599] {
            let error = Self.classify(status, "The service is temporarily unavailable.")
            #expect(error.reason == .serverError && error.isTransient && error.status == status)
            #expect(error.message.hasPrefix("Autotask is unavailable (HTTP \(status)); the call will be retried."))
            #expect(error.description == error.message + " (request: POST Contracts ids [100,102])")
        }
        #expect(Self.classify(503, "Service Unavailable").reason == .serverError)
        #expect(Self.classify(504).message.contains("HTTP 504 with no explanation"))
    }

    static let validation500: [(String, AutotaskError.Reason, String)] = [
        ("The user is not in this zone. Use zoneInformation to find the zone of the user.", .wrongZone, "not in the zone"),
        ("Invalid ApiIntegrationCode: the integration code is not valid.", .badCredentials, "integration code"),
        ("IntegrationCode is invalid", .badCredentials, "secret"),
        ("Unable to authenticate: the user name is not valid.", .badCredentials, "user name"),
        ("Unknown UserName", .badCredentials, "user name"),
        ("The logged in user does not have permission to access Contracts.", .missingPermission, "lacks permission for ContractServiceAdjustments"),
        ("contractID must reference a Recurring Service type Contract (Contract.ContractType = 7).", .contractNotRecurring, "Recurring Service"),
        ("Invalid contract type for this operation.", .contractNotRecurring, "Recurring Service"),
        ("The contract is inactive: units cannot be adjusted.", .contractInactive, "reactivate it"),
        ("Contract is not active.", .contractInactive, "reactivate it"),
        ("The effective date must be within the contract's start date and end date.", .contractOutOfDates, "extend or renew"),
        ("Date is outside the contract period.", .contractOutOfDates, "extend or renew"),
        ("The service is not on the contract.", .serviceNotOnContract, "add it to the contract"),
        ("No such service on this contract", .serviceNotOnContract, "add it to the contract"),
        ("Concurrent thread limit reached", .threadLimit, "too many concurrent requests"),
        ("Something no one expected happened.", .serverError, "a message Tally does not recognise"),
        ("Value does not reference an existing entity for serviceID.", .validation, "Autotask rejected POST ContractServiceAdjustments."),
    ]

    @Test(arguments: 0..<validation500.count)
    func messagesOf500AreReadForTheRule(_ index: Int) {
        let (text, reason, fragment) = Self.validation500[index]
        let error = Self.classify(500, text, request: Self.write)
        #expect(error.reason == reason)
        #expect(error.kind == reason.kind)
        #expect(error.status == 500 && error.autotaskErrors == [text])
        #expect(error.message.contains(fragment), "\(error.message)")
        #expect(error.message.hasSuffix(" Autotask said: \"\(text)\""))
    }

    @Test func severalErrorTextsAreReadAndQuotedTogether() {
        let error = Self.classify(500, "Validation failed.", "The contract is inactive.")
        #expect(error.reason == .contractInactive)
        #expect(error.autotaskErrors == ["Validation failed.", "The contract is inactive."])
        #expect(error.message.hasSuffix("Autotask said: \"Validation failed. The contract is inactive.\""))
    }

    // MARK: Bodies and headers as they arrive

    @Test func errorBodiesAreReadLeniently() {
        #expect(AutotaskSession.errors(in: Data(#"{"errors": ["a", "b"]}"#.utf8)) == ["a", "b"])
        #expect(AutotaskSession.errors(in: Data(#"{"errors": []}"#.utf8)) == [])
        #expect(AutotaskSession.errors(in: Data()) == [])
        #expect(AutotaskSession.errors(in: Data(" \n\t ".utf8)) == [])
        #expect(AutotaskSession.errors(in: Data("  Bad Gateway\n".utf8)) == ["Bad Gateway"])
        #expect(AutotaskSession.errors(in: Data(#"{"errors": "one"}"#.utf8)) == [#"{"errors": "one"}"#])
        let long = String(repeating: "x", count: 2000)
        #expect(AutotaskSession.errors(in: Data(long.utf8)) == [String(repeating: "x", count: 500)])
        #expect(AutotaskSession.errors(in: Data([0xFF, 0xFE, 0x41])).first?.hasSuffix("A") == true)
    }

    @Test func malformedBodiesAreClassifiedByStatusAndText() {
        #expect(Self.classify(500, body: "").reason == .serverError)
        #expect(Self.classify(500, body: "{}").reason == .serverError)
        #expect(Self.classify(500, body: #"{"errors": []}"#).reason == .serverError)
        #expect(Self.classify(500, body: #"{"errors": ["The contract is inactive."]}"#).reason == .contractInactive)
        #expect(Self.classify(502, body: "<html><body>Bad Gateway</body></html>").reason == .serverError)
        #expect(Self.classify(429, body: "not json at all").reason == .throttled)
    }

    @Test func retryAfterHeaderIsReadAsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_792_567_700)  // Wed, 21 Oct 2026 07:28:20 GMT
        #expect(AutotaskSession.retryAfter(["Retry-After": "120"], now: now) == .seconds(120))
        #expect(AutotaskSession.retryAfter(["retry-after": " 1.5 "], now: now) == .milliseconds(1500))
        #expect(AutotaskSession.retryAfter(["Retry-After": "0"], now: now) == .zero)
        #expect(AutotaskSession.retryAfter(["Retry-After": "Wed, 21 Oct 2026 07:28:50 GMT"], now: now) == .seconds(30))
        // A date already past: retry now, not a negative wait.
        #expect(AutotaskSession.retryAfter(["Retry-After": "Wed, 21 Oct 2026 07:00:00 GMT"], now: now) == .zero)
        #expect(AutotaskSession.retryAfter(["Retry-After": "-5"], now: now) == nil)
        #expect(AutotaskSession.retryAfter(["Retry-After": "soon"], now: now) == nil)
        #expect(AutotaskSession.retryAfter([:], now: now) == nil)
    }

    /// Hostile or broken `Retry-After` values are clamped to an hour, never an overflow trap (issue 18).
    @Test func retryAfterIsClampedToAnHourWhateverTheHeaderSays() {
        let now = Date(timeIntervalSince1970: 1_792_567_700)
        for value in ["1e300", "inf", "+Infinity", "99999999999999999999", "31536000"] {
            #expect(AutotaskSession.retryAfter(["Retry-After": value], now: now) == .seconds(3600), "\(value)")
        }
        #expect(AutotaskSession.retryAfter(["Retry-After": "Thu, 21 Oct 2027 07:28:20 GMT"], now: now) == .seconds(3600))
        #expect(AutotaskSession.retryAfter(["Retry-After": "nan"], now: now) == nil)
        #expect(AutotaskSession.retryAfter(["Retry-After": "-1e300"], now: now) == nil)
    }

    @Test func requestSummariesShowAtMostTenIDs() {
        let many = AutotaskError.RequestSummary(method: "POST", entity: "Contracts", ids: Array(1...12))
        #expect(many.description == "POST Contracts ids [1,2,3,4,5,6,7,8,9,10, … 12 in all]")
        #expect(AutotaskError.RequestSummary(method: "GET", entity: "Services", ids: []).description == "GET Services")
    }

    // MARK: Questionable classifications of the first wave, changed by issue 17 (point 4)

    /// A proxy's or IIS's HTML error page, ASP.NET's default `{"Message": "An error has
    /// occurred."}` and `{"errors": null}` are bare 500s: transient, not validation failures.
    @Test func proxyPagesAndEmptyEnvelopesAreBare500s() {
        let html = Self.classify(500, body: "<html><head><title>500 - Internal server error.</title></head></html>")
        #expect(html.reason == .serverError && html.kind == .transient)
        let aspNet = Self.classify(500, body: #"{"Message":"An error has occurred."}"#)
        #expect(aspNet.reason == .serverError && aspNet.kind == .transient)
        #expect(aspNet.message.contains("no explanation"))
        let nullErrors = Self.classify(500, body: #"{"errors": null}"#)
        #expect(nullErrors.reason == .serverError)
    }

    /// A 500 whose text matches no known rule may be a deadlock or a time-out inside
    /// Autotask: transient (the queue bounds its attempts), then failed with its text and request.
    @Test func anUnknown500TextIsTransientAndKeepsItsTextAndRequest() {
        let error = Self.classify(500, "Transaction (Process ID 71) was chosen as the victim; rerun the transaction.", request: Self.write)
        #expect(error.reason == .serverError && error.isTransient)
        #expect(error.description.contains("Process ID 71") && error.description.contains("POST ContractServiceAdjustments"))
    }

    /// "not" inside "cannot" no longer reads as service-not-on-contract.
    @Test func cannotInAContractServiceMessageIsAValidationFailure() {
        let error = Self.classify(500, "ContractServiceAdjustment: unitChange cannot be 0.")
        #expect(error.reason == .validation)
        #expect(Self.classify(500, "The service is not on the contract.").reason == .serviceNotOnContract)
    }

    /// A 500 permission text names the entity of the request.
    @Test func permissionIn500NamesTheEntity() {
        let error = Self.classify(500, "The logged in user does not have permission to access Contracts.")
        #expect(error.message.hasPrefix("The Autotask API user lacks permission for Contracts:"))
    }

    /// "time zone" is not a wrong zone.
    @Test func timeZoneIn500IsNotAWrongZone() {
        #expect(Self.classify(500, "effectiveDate must be a date in the database's time zone.").reason == .validation)
        #expect(Self.classify(500, "The user is not in this zone.").reason == .wrongZone)
    }

    // MARK: Autotask's own wording, from public sources (RealAutotaskErrors)

    /// The reasons a category of `RealAutotaskErrors` may come out as. An unknown user on the
    /// zone lookup is a wrong user name to one reporter and a zone problem to another: Tally
    /// looks the zone up again on either, then says to check the user name.
    static func allowed(_ category: String) -> Set<AutotaskError.Reason> {
        switch category {
        case "bad_credentials": [.badCredentials]
        case "wrong_zone": [.wrongZone, .badCredentials]
        case "missing_permission": [.missingPermission]
        case "thread_limit": [.threadLimit]
        case "validation": [.validation]
        case "server_error": [.serverError]
        case "other": Set(AutotaskError.Reason.allCases.filter { $0.kind == .permanent })
        default: []
        }
    }

    @Test(arguments: RealAutotaskErrors.answers.indices)
    func realAutotaskAnswersAreClassifiedAsTheirSourcesDescribe(_ index: Int) {
        let answer = RealAutotaskErrors.answers[index]
        // Sources that do not give the status: Autotask answers its errors with 500, thread limits with 429.
        let statuses = answer.status.map { [$0] } ?? (answer.category == "thread_limit" ? [429, 500] : [500])
        for status in statuses {
            let error = Self.classify(status, body: answer.body)
            #expect(Self.allowed(answer.category).contains(error.reason),
                    "\(status) \(answer.body.prefix(80)) (\(answer.source)): \(error.reason), expected \(answer.category)")
            #expect(!error.message.isEmpty)
        }
    }
}
