// Fields as Autotask's REST swagger names them (camelCase in JSON); only the ones
// Tally reads. Every field is optional in the swagger; the ones Autotask always
// returns for a record are non-optional here.

public struct Company: Sendable, Hashable, Codable, Identifiable {
    public init(id: Int, companyName: String? = nil, isActive: Bool? = nil) {
        self.id = id
        self.companyName = companyName
        self.isActive = isActive
    }

    public var id: Int
    public var companyName: String?
    public var isActive: Bool?
}

/// Contract types (Autotask picklist); Tally bills only Recurring Service.
public enum ContractType {
    public static let recurringService = 7
}

/// Contract status: 1 active, 0 inactive.
public enum ContractStatus {
    public static let active = 1
    public static let inactive = 0
}

public struct Contract: Sendable, Hashable, Codable, Identifiable {
    public init(
        id: Int, companyID: Int? = nil, contractName: String? = nil, contractType: Int? = nil, contractPeriodType: Int? = nil,
        status: Int? = nil, startDate: AutotaskDay? = nil, endDate: AutotaskDay? = nil
    ) {
        self.id = id
        self.companyID = companyID
        self.contractName = contractName
        self.contractType = contractType
        self.contractPeriodType = contractPeriodType
        self.status = status
        self.startDate = startDate
        self.endDate = endDate
    }

    public var id: Int
    public var companyID: Int?
    public var contractName: String?
    public var contractType: Int?
    public var contractPeriodType: Int?
    public var status: Int?
    public var startDate: AutotaskDay?
    public var endDate: AutotaskDay?

    public var isRecurringService: Bool { contractType == ContractType.recurringService }
    public var isActive: Bool { status == ContractStatus.active }

    /// Whether `day` lies within the contract's dates (both ends included).
    public func isInForce(on day: AutotaskDay) -> Bool {
        if let startDate, day < startDate { return false }
        if let endDate, endDate < day { return false }
        return true
    }
}

public struct Service: Sendable, Hashable, Codable, Identifiable {
    public init(id: Int, name: String? = nil, periodType: Int? = nil, isActive: Bool? = nil, unitPrice: Double? = nil) {
        self.id = id
        self.name = name
        self.periodType = periodType
        self.isActive = isActive
        self.unitPrice = unitPrice
    }

    public var id: Int
    public var name: String?
    public var periodType: Int?
    public var isActive: Bool?
    public var unitPrice: Double?
}

/// A service on a contract. It carries no unit count: units change only through
/// ContractServiceAdjustments.
public struct ContractService: Sendable, Hashable, Codable, Identifiable {
    public init(id: Int, contractID: Int, serviceID: Int, unitPrice: Double? = nil) {
        self.id = id
        self.contractID = contractID
        self.serviceID = serviceID
        self.unitPrice = unitPrice
    }

    public var id: Int
    public var contractID: Int
    public var serviceID: Int
    public var unitPrice: Double?
}

/// Units of a service on a contract for one stretch of a billing period.
public struct ContractServiceUnit: Sendable, Hashable, Codable, Identifiable {
    public init(
        id: Int, contractID: Int, contractServiceID: Int? = nil, serviceID: Int, startDate: AutotaskDay, endDate: AutotaskDay,
        units: Int, price: Double? = nil, cost: Double? = nil
    ) {
        self.id = id
        self.contractID = contractID
        self.contractServiceID = contractServiceID
        self.serviceID = serviceID
        self.startDate = startDate
        self.endDate = endDate
        self.units = units
        self.price = price
        self.cost = cost
    }

    public var id: Int
    public var contractID: Int
    public var contractServiceID: Int?
    public var serviceID: Int
    public var startDate: AutotaskDay
    public var endDate: AutotaskDay
    public var units: Int
    public var price: Double?
    public var cost: Double?

    /// Whether this row's dates include `day`, both ends inclusive. Autotask ends a
    /// billing period's row on the period's last day, but a row split by an adjustment
    /// on the next row's start: on that shared day two rows cover the day, and the
    /// later-starting one is in force (`AutotaskSession.unitsInForce`).
    public func covers(_ day: AutotaskDay) -> Bool { startDate <= day && day <= endDate }
}

/// A service on a contract, by ids.
public struct ContractServiceKey: Sendable, Hashable {
    public var contractID: Int
    public var serviceID: Int

    public init(contractID: Int, serviceID: Int) {
        self.contractID = contractID
        self.serviceID = serviceID
    }
}

/// The body of `POST ContractServiceAdjustments`: a change of units (a delta) from a day on.
public struct ContractServiceAdjustment: Sendable, Hashable, Codable {
    public var contractID: Int
    public var serviceID: Int
    public var contractServiceID: Int?
    public var effectiveDate: AutotaskDay
    public var unitChange: Int
    public var adjustedUnitPrice: Double?
    public var adjustedUnitCost: Double?

    public init(
        contractID: Int, serviceID: Int, effectiveDate: AutotaskDay, unitChange: Int,
        contractServiceID: Int? = nil, adjustedUnitPrice: Double? = nil, adjustedUnitCost: Double? = nil
    ) {
        self.contractID = contractID
        self.serviceID = serviceID
        self.contractServiceID = contractServiceID
        self.effectiveDate = effectiveDate
        self.unitChange = unitChange
        self.adjustedUnitPrice = adjustedUnitPrice
        self.adjustedUnitCost = adjustedUnitCost
    }
}

/// The database's API usage in the current rolling hour.
public struct ThresholdInformation: Sendable, Hashable, Codable {
    public init(externalRequestThreshold: Int, requestThresholdTimeframe: Int? = nil, currentTimeframeRequestCount: Int) {
        self.externalRequestThreshold = externalRequestThreshold
        self.requestThresholdTimeframe = requestThresholdTimeframe
        self.currentTimeframeRequestCount = currentTimeframeRequestCount
    }

    public var externalRequestThreshold: Int
    public var requestThresholdTimeframe: Int?
    public var currentTimeframeRequestCount: Int
}

public struct ZoneInformation: Sendable, Hashable, Codable {
    public var zoneName: String?
    public var url: String
    public var webUrl: String?
    public var ci: Int?
}

// Envelopes.
struct ItemsEnvelope<Item: Decodable>: Decodable {
    var items: [Item]
    var pageDetails: PageDetails?
}

struct PageDetails: Decodable {
    var count: Int?
    var requestCount: Int?
    var prevPageUrl: String?
    var nextPageUrl: String?
}

struct ItemEnvelope<Item: Decodable>: Decodable {
    var item: Item?
}

/// `{"itemId": N}`; the swagger types it as an object, so accept a number or a string.
struct CreateResult: Decodable {
    var itemId: Int

    enum CodingKeys: String, CodingKey { case itemId }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try? container.decode(Int.self, forKey: .itemId) {
            itemId = n
        } else if let s = try? container.decode(String.self, forKey: .itemId), let n = Int(s) {
            itemId = n
        } else {
            throw DecodingError.dataCorruptedError(forKey: .itemId, in: container, debugDescription: "no itemId")
        }
    }
}

struct ErrorsEnvelope: Decodable {
    var errors: [String]?
    /// ASP.NET's own error body, `{"Message": "An error has occurred."}`.
    var message: String?

    enum CodingKeys: String, CodingKey {
        case errors
        case message = "Message"
    }
}
