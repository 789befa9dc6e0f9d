import Foundation

/// Turns an Autotask error answer into an `AutotaskError`.
///
/// Autotask reports many validation failures as HTTP 500 with a message, and some
/// failures as a bare "Internal Server Error"; the status alone is not enough, so the
/// text is read too. APIS.md says bad credentials answer 401; integrators report that
/// only a wrong secret does, while an unknown user name or integration code answers
/// 500 with a message — both are read as bad credentials here.
enum ErrorClassifier {
    static func classify(
        status: Int, errors: [String], retryAfter: Duration?, request: AutotaskError.RequestSummary
    ) -> AutotaskError {
        let joined = errors.joined(separator: " ")
        let text = joined.lowercased()
        let quoted = joined.isEmpty ? "" : " Autotask said: \"\(joined)\""

        func error(_ reason: AutotaskError.Reason, _ message: String) -> AutotaskError {
            AutotaskError(
                reason: reason, message: message + quoted, status: status, autotaskErrors: errors,
                retryAfter: retryAfter, request: request)
        }

        switch status {
        case 401:
            return error(.badCredentials, Messages.badCredentials)
        case 403:
            return error(.missingPermission, Messages.missingPermission(request.entity))
        case 404:
            if mentionsPermission(text) { return error(.missingPermission, Messages.missingPermission(request.entity)) }
            return error(.notFound, "Autotask has no \(request.entity) record for \(request).")
        case 429:
            // "Thread threshold exceeded" is the thread limit, not the hourly threshold.
            if text.contains("thread") || text.contains("concurrent") {
                return error(.threadLimit, "Autotask refused the call: too many concurrent requests for this API user on \(request.entity); it will be retried.")
            }
            if text.contains("threshold") || text.contains("limit of") && text.contains("hour") {
                return error(.budgetExhausted, Messages.budgetExhausted)
            }
            return error(.throttled, "Autotask is throttling this API user; the call will be retried.")
        case 500...599:
            if isBare(text) {
                return AutotaskError(
                    reason: .serverError,
                    message: "Autotask answered HTTP \(status) with no explanation; it will be retried. If it persists, give Autotask support the request: \(request).",
                    status: status, autotaskErrors: errors, retryAfter: retryAfter, request: request)
            }
            if status != 500 {
                return error(.serverError, "Autotask is unavailable (HTTP \(status)); the call will be retried.")
            }
            return classifyRefusal(text: text, request: request, make: error)
                ?? error(.serverError,
                    "Autotask answered HTTP 500 with a message Tally does not recognise; it is retried a few times (it may be a deadlock or time-out inside Autotask), then the job fails with it (request: \(request)).")
        default:
            if mentionsPermission(text) { return error(.missingPermission, Messages.missingPermission(request.entity)) }
            return error(.validation, "Autotask rejected \(request) (HTTP \(status)).")
        }
    }

    /// A 500 whose text says what Autotask refused, or nil when the text is not
    /// one Tally knows (then it is treated as a server error: retried, bounded).
    private static func classifyRefusal(
        text: String, request: AutotaskError.RequestSummary, make error: (AutotaskError.Reason, String) -> AutotaskError
    ) -> AutotaskError? {
        if has(text, "deadlock", "timeout", "timed out", "temporarily", "unexpected error", "try again") {
            return error(.serverError, "Autotask failed inside (HTTP 500); the call will be retried. If it persists, give Autotask support the request: \(request).")
        }
        if text.contains("zone information could not be determined") {
            return error(.badCredentials, "Autotask does not know the API user name: " + Messages.badCredentials)
        }
        if containsWord(text, "zone") && !text.contains("time zone") {
            return error(.wrongZone, "Autotask answered that the API user is not in the zone Tally called, even after looking the zone up again: check that the API user is active in Autotask, then retry.")
        }
        if has(text, "integrationcode", "integration code", "user name", "username", "authenticate") {
            return error(.badCredentials, Messages.badCredentials)
        }
        if mentionsPermission(text) { return error(.missingPermission, Messages.missingPermission(request.entity)) }
        if has(text, "recurring service", "contract type") {
            return error(.contractNotRecurring, "The contract is not of type Recurring Service: map the organization to a Recurring Service contract in Autotask.")
        }
        if containsWord(text, "inactive") || text.contains("not active") {
            return error(.contractInactive, "The contract is inactive: reactivate it in Autotask, or map the organization to an active contract.")
        }
        if has(text, "effective date", "start date", "end date") || containsWord(text, "outside") {
            return error(.contractOutOfDates, "Today is outside the contract's start and end dates: extend or renew the contract in Autotask, or map the organization to a current one.")
        }
        if text.contains("not on the contract") || text.contains("not on contract")
            || (containsWord(text, "service") && containsWord(text, "contract") && (containsWord(text, "not") || containsWord(text, "no")))
        {
            return error(.serviceNotOnContract, "The service is not on the contract: add it to the contract in Autotask.")
        }
        if has(text, "thread", "concurrent") {
            return error(.threadLimit, "Autotask refused the call: too many concurrent requests; it will be retried.")
        }
        if has(text, "unable to find", "must be", "must assign", "cannot", "can not", "does not exist", "does not reference",
               "is invalid", "is required", "not valid", "not allowed", "invalid", "required")
        {
            return error(.validation, "Autotask rejected \(request).")
        }
        return nil
    }

    static func isBare(_ lowercased: String) -> Bool {
        let trimmed = lowercased.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        // A proxy's or IIS's own error page: HTML, not Autotask's words.
        if trimmed.hasPrefix("<!doctype") || trimmed.hasPrefix("html") || trimmed.hasPrefix("<html") || lowercased.hasPrefix("<") {
            return true
        }
        return trimmed.isEmpty || trimmed == "internal server error" || trimmed == "an error has occurred"
    }

    private static func mentionsPermission(_ text: String) -> Bool {
        has(text, "permission", "not authorized", "access denied", "no access")
    }

    private static func has(_ text: String, _ needles: String...) -> Bool {
        needles.contains { text.contains($0) }
    }

    /// `word` as a whole word ("not" is not in "cannot", "zone" not in "zones" or "timezone").
    static func containsWord(_ text: String, _ word: String) -> Bool {
        var searchStart = text.startIndex
        while let range = text.range(of: word, range: searchStart..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before?.isLetter ?? false) && !(after?.isLetter ?? false) { return true }
            searchStart = range.upperBound
        }
        return false
    }
}

enum Messages {
    static let badCredentials =
        "Autotask rejected the API user's credentials: check the user name, secret and integration code of the API user in Autotask (Admin › Resources/Users) and update the tenant's credentials."
    static func missingPermission(_ entity: String) -> String {
        "The Autotask API user lacks permission for \(entity): \(AutotaskPermissions.fix)."
    }
    static let budgetExhausted =
        "The Autotask database's hourly API request limit is used up (shared with the MSP's other integrations); the call waits until usage drops."
}
