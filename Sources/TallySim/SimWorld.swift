/// The simulator's world, as seeded from JSON (`--world FILE`, `POST /_sim/world`).
/// Field names follow Autotask's where the thing is an Autotask record.
public struct SimWorld: Sendable, Codable {
    public var databases: [SimDatabase]
    /// The simulated "today"; the real UTC date when absent.
    public var today: SimDay?

    public init(databases: [SimDatabase] = [], today: SimDay? = nil) {
        self.databases = databases
        self.today = today
    }
}

/// One Autotask database (one MSP).
public struct SimDatabase: Sendable, Codable {
    public var name: String
    /// Zone number N: its API lives at `…/wsN/ATServicesRest/` on the simulator.
    public var zone: Int
    public var ci: Int?
    /// Requests allowed per rolling hour (Autotask: 10,000).
    public var hourlyBudget: Int?
    public var users: [SimUser]
    public var companies: [SimCompany]
    public var services: [SimService]
    public var contracts: [SimContract]
    public var contractServices: [SimContractService]
    public var adjustments: [SimAdjustment]?
    /// How ContractServiceUnits rows end on the wire (`nextStart` when absent).
    public var unitRowEnds: SimUnitRowEnds?
    /// The zone URL `zoneInformation` answers instead of the simulator's own (a spoofed lookup).
    public var zoneAnswer: String?

    public init(
        name: String, zone: Int, ci: Int? = nil, hourlyBudget: Int? = nil, users: [SimUser], companies: [SimCompany] = [],
        services: [SimService] = [], contracts: [SimContract] = [], contractServices: [SimContractService] = [],
        adjustments: [SimAdjustment]? = nil, unitRowEnds: SimUnitRowEnds? = nil, zoneAnswer: String? = nil
    ) {
        self.name = name
        self.zone = zone
        self.ci = ci
        self.hourlyBudget = hourlyBudget
        self.users = users
        self.companies = companies
        self.services = services
        self.contracts = contracts
        self.contractServices = contractServices
        self.adjustments = adjustments
        self.unitRowEnds = unitRowEnds
        self.zoneAnswer = zoneAnswer
    }
}

/// The two ways Autotask ends a ContractServiceUnits row.
public enum SimUnitRowEnds: String, Sendable, Codable {
    /// Every row ends on the day the next one starts (the boundary day is shared).
    case nextStart
    /// A billing period's last row ends on the period's last day, inclusive; a row
    /// split by an adjustment still ends on the next row's start.
    case periodLastDay
}

public struct SimUser: Sendable, Codable {
    public var userName: String
    public var secret: String
    public var integrationCode: String
    /// Areas this user's security level lacks: `Contracts`, `Services`, `Companies`.
    public var lacks: [String]?

    public init(userName: String, secret: String, integrationCode: String, lacks: [String]? = nil) {
        self.userName = userName
        self.secret = secret
        self.integrationCode = integrationCode
        self.lacks = lacks
    }
}

public struct SimCompany: Sendable, Codable {
    public var id: Int
    public var companyName: String
    public var isActive: Bool?

    public init(id: Int, companyName: String, isActive: Bool? = true) {
        self.id = id
        self.companyName = companyName
        self.isActive = isActive
    }
}

public struct SimService: Sendable, Codable {
    public var id: Int
    public var name: String
    public var periodType: Int?
    public var unitPrice: Double?
    public var unitCost: Double?

    public init(id: Int, name: String, periodType: Int? = 3, unitPrice: Double? = nil, unitCost: Double? = nil) {
        self.id = id
        self.name = name
        self.periodType = periodType
        self.unitPrice = unitPrice
        self.unitCost = unitCost
    }
}

public struct SimContract: Sendable, Codable {
    public var id: Int
    public var companyID: Int
    public var contractName: String
    /// 7 = Recurring Service.
    public var contractType: Int
    public var contractPeriodType: Int?
    /// 1 active, 0 inactive.
    public var status: Int
    public var startDate: SimDay
    public var endDate: SimDay

    public init(
        id: Int, companyID: Int, contractName: String, contractType: Int = 7, contractPeriodType: Int? = nil,
        status: Int = 1, startDate: SimDay, endDate: SimDay
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
}

public struct SimContractService: Sendable, Codable {
    public var id: Int
    public var contractID: Int
    public var serviceID: Int
    public var unitPrice: Double?
    public var unitCost: Double?
    /// The first day Autotask has unit rows for this service (a service added with a
    /// later start); no row covers the days before it.
    public var unitsFrom: SimDay?

    public init(
        id: Int, contractID: Int, serviceID: Int, unitPrice: Double? = nil, unitCost: Double? = nil, unitsFrom: SimDay? = nil
    ) {
        self.id = id
        self.contractID = contractID
        self.serviceID = serviceID
        self.unitPrice = unitPrice
        self.unitCost = unitCost
        self.unitsFrom = unitsFrom
    }
}

/// A ContractServiceAdjustment as posted, with the user who posted it.
public struct SimAdjustment: Sendable, Codable {
    public var id: Int
    public var contractID: Int
    public var serviceID: Int
    public var contractServiceID: Int
    public var effectiveDate: SimDay
    public var unitChange: Int
    public var postedBy: String?
}

extension SimDatabase {
    /// Lists left out of a world file are empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            zone: try c.decodeIfPresent(Int.self, forKey: .zone) ?? 1,
            ci: try c.decodeIfPresent(Int.self, forKey: .ci),
            hourlyBudget: try c.decodeIfPresent(Int.self, forKey: .hourlyBudget),
            users: try c.decodeIfPresent([SimUser].self, forKey: .users) ?? [],
            companies: try c.decodeIfPresent([SimCompany].self, forKey: .companies) ?? [],
            services: try c.decodeIfPresent([SimService].self, forKey: .services) ?? [],
            contracts: try c.decodeIfPresent([SimContract].self, forKey: .contracts) ?? [],
            contractServices: try c.decodeIfPresent([SimContractService].self, forKey: .contractServices) ?? [],
            adjustments: try c.decodeIfPresent([SimAdjustment].self, forKey: .adjustments),
            unitRowEnds: try c.decodeIfPresent(SimUnitRowEnds.self, forKey: .unitRowEnds),
            zoneAnswer: try c.decodeIfPresent(String.self, forKey: .zoneAnswer))
    }
}
