import Foundation

/// An answer before it becomes an HTTP response.
struct SimResponse: Sendable {
    var status: Int
    var body: Data
    var headers: [(String, String)] = []

    static func json(_ value: some Encodable, status: Int = 200) -> SimResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return SimResponse(status: status, body: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// Autotask's error shape: `{"errors": ["..."]}`.
    static func errors(_ status: Int, _ messages: String...) -> SimResponse {
        .json(["errors": messages], status: status)
    }
}

/// Texts the simulator answers with, in one place. Autotask's exact wording is not
/// published for most of these; they follow integrators' reports where there are
/// any (unknown user on zoneInformation; 500 for an unknown user name or integration
/// code, 401 for a wrong secret) and otherwise say what Autotask checks.
enum SimText {
    static let zoneUnknown = "Zone information could not be determined"
    static let wrongZone = "The user is not in this zone. Use zoneInformation to find the zone of the user."
    static let unknownUser = "Unable to authenticate: the user name is not valid."
    static let badIntegrationCode = "Invalid ApiIntegrationCode: the integration code is not valid for this user."
    static func noPermission(_ entity: String) -> String {
        "The logged in user does not have permission to access \(entity). Check the security level of the API user."
    }
    static let threadLimit = "Thread limit exceeded: at most 3 concurrent requests are allowed per API user and endpoint."
    static func threshold(_ limit: Int) -> String {
        "The request threshold of \(limit) requests per hour has been exceeded for this database. Try again later."
    }
    static let notRecurring = "contractID must reference a Recurring Service type Contract (Contract.ContractType = 7)."
    static let inactive = "The contract is inactive: units cannot be adjusted on an inactive contract."
    static let outOfDates = "The effective date must be within the contract's start date and end date."
    static let serviceNotOnContract = "The service is not on the contract: contractServiceID does not reference this service on this contract."
    static func noEntity(_ field: String) -> String { "Value does not reference an existing entity for \(field)." }
    static func required(_ field: String) -> String { "\(field) is required." }
    static let tooManyConditions = "The query has more than 500 conditions."
    static let serviceUnavailable = "The service is temporarily unavailable. Please try again later."
    static let bare = "Internal Server Error"
}
