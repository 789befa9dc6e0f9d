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
            if text.contains("threshold") || text.contains("limit of") && text.contains("hour") {
                return error(.budgetExhausted, Messages.budgetExhausted)
            }
            if text.contains("thread") || text.contains("concurrent") {
                return error(.threadLimit, "Autotask refused the call: too many concurrent requests for this API user on \(request.entity); it will be retried.")
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
            return classifyValidation(text: text, make: error)
        default:
            if mentionsPermission(text) { return error(.missingPermission, Messages.missingPermission(request.entity)) }
            return error(.validation, "Autotask rejected \(request) (HTTP \(status)).")
        }
    }

    private static func classifyValidation(
        text: String, make error: (AutotaskError.Reason, String) -> AutotaskError
    ) -> AutotaskError {
        if text.contains("zone") {
            return error(.wrongZone, "Autotask answered that the API user is not in the zone Tally called, even after looking the zone up again: check that the API user is active in Autotask, then retry.")
        }
        if text.contains("integrationcode") || text.contains("integration code") || text.contains("user name")
            || text.contains("username")
        {
            return error(.badCredentials, Messages.badCredentials)
        }
        if mentionsPermission(text) { return error(.missingPermission, Messages.missingPermission("this entity")) }
        if text.contains("recurring service") || text.contains("contract type") {
            return error(.contractNotRecurring, "The contract is not of type Recurring Service: map the organization to a Recurring Service contract in Autotask.")
        }
        if text.contains("inactive") || text.contains("not active") {
            return error(.contractInactive, "The contract is inactive: reactivate it in Autotask, or map the organization to an active contract.")
        }
        if text.contains("effective date") || text.contains("start date") || text.contains("end date")
            || text.contains("outside")
        {
            return error(.contractOutOfDates, "Today is outside the contract's start and end dates: extend or renew the contract in Autotask, or map the organization to a current one.")
        }
        if text.contains("service") && text.contains("contract") && (text.contains("not") || text.contains("no ")) {
            return error(.serviceNotOnContract, "The service is not on the contract: add it to the contract in Autotask.")
        }
        if text.contains("thread") || text.contains("concurrent") {
            return error(.threadLimit, "Autotask refused the call: too many concurrent requests; it will be retried.")
        }
        return error(.validation, "Autotask rejected the request.")
    }

    static func isBare(_ lowercased: String) -> Bool {
        let trimmed = lowercased.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        return trimmed.isEmpty || trimmed == "internal server error" || trimmed == "an error has occurred"
    }

    private static func mentionsPermission(_ text: String) -> Bool {
        text.contains("permission") || text.contains("not authorized") || text.contains("access")
    }
}

enum Messages {
    static let badCredentials =
        "Autotask rejected the API user's credentials: check the user name, secret and integration code of the API user in Autotask (Admin › Resources/Users) and update the tenant's credentials."
    static func missingPermission(_ entity: String) -> String {
        "The Autotask API user lacks permission for \(entity): give its security level access to Contracts and Services in Autotask (Admin › Security Levels)."
    }
    static let budgetExhausted =
        "The Autotask database's hourly API request limit is used up (shared with the MSP's other integrations); the call waits until usage drops."
}
