// Public initializers, so callers can build records in their own tests.

extension Company {
    public init(id: Int, companyName: String? = nil, isActive: Bool? = nil) {
        self.id = id
        self.companyName = companyName
        self.isActive = isActive
    }
}

extension Contract {
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
}

extension Service {
    public init(id: Int, name: String? = nil, periodType: Int? = nil, isActive: Bool? = nil, unitPrice: Double? = nil) {
        self.id = id
        self.name = name
        self.periodType = periodType
        self.isActive = isActive
        self.unitPrice = unitPrice
    }
}

extension ContractService {
    public init(id: Int, contractID: Int, serviceID: Int, unitPrice: Double? = nil) {
        self.id = id
        self.contractID = contractID
        self.serviceID = serviceID
        self.unitPrice = unitPrice
    }
}

extension ContractServiceUnit {
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
}

extension ThresholdInformation {
    public init(externalRequestThreshold: Int, requestThresholdTimeframe: Int? = nil, currentTimeframeRequestCount: Int) {
        self.externalRequestThreshold = externalRequestThreshold
        self.requestThresholdTimeframe = requestThresholdTimeframe
        self.currentTimeframeRequestCount = currentTimeframeRequestCount
    }
}
