/// Generates a world from a seed: the same seed gives the same world.
public struct WorldGenerator: Sendable, Codable {
    public var seed: UInt64
    public var databases: Int
    public var companiesPerDatabase: Int
    /// One in this many contracts is not Recurring Service; one in `inactiveEvery` is inactive.
    public var nonRecurringEvery: Int?
    public var inactiveEvery: Int?
    public var today: SimDay?

    public init(seed: UInt64 = 1, databases: Int = 1, companiesPerDatabase: Int = 10, nonRecurringEvery: Int? = 10, inactiveEvery: Int? = 15, today: SimDay? = nil) {
        self.seed = seed
        self.databases = databases
        self.companiesPerDatabase = companiesPerDatabase
        self.nonRecurringEvery = nonRecurringEvery
        self.inactiveEvery = inactiveEvery
        self.today = today
    }

    /// Database `dbN` has API user `api@dbN.example` (secret `secret-dbN`, integration code
    /// `IC-dbN`) and `limited@dbN.example`, whose security level lacks Contracts.
    /// Companies, contracts and services of database N have ids from N × 1,000,000.
    public func generate() -> SimWorld {
        var random = SeededGenerator(seed: seed)
        let today = self.today ?? SimDay.today()
        let (y, m, _) = today.components
        let firstOfMonth = SimDay(year: y, month: m, day: 1)
        var world = SimWorld(today: self.today)
        for n in 1...max(1, databases) {
            let name = "db\(n)"
            let base = n * 1_000_000
            let services = [
                SimService(id: base + 1, name: "Huntress Managed EDR", periodType: 3, unitPrice: 3.5, unitCost: 2),
                SimService(id: base + 2, name: "Huntress Managed ITDR (M365)", periodType: 3, unitPrice: 2, unitCost: 1),
            ]
            var companies: [SimCompany] = []
            var contracts: [SimContract] = []
            var contractServices: [SimContractService] = []
            var adjustments: [SimAdjustment] = []
            var nextID = base + 500_000
            for c in 1...max(1, companiesPerDatabase) {
                let companyID = base + 1000 + c
                companies.append(SimCompany(id: companyID, companyName: "Customer \(n)-\(c)"))
                let contractID = base + 100_000 + c
                let start = firstOfMonth.adding(months: -Int(random.next() % 12))
                let contractType = nonRecurringEvery.map { c % $0 == 0 } == true ? 1 : 7
                let status = inactiveEvery.map { c % $0 == 0 } == true ? 0 : 1
                contracts.append(SimContract(
                    id: contractID, companyID: companyID, contractName: "Managed services \(c)", contractType: contractType,
                    contractPeriodType: 1, status: status, startDate: start, endDate: start.adding(months: 36)))
                guard contractType == 7 else { continue }
                for service in services {
                    let csID = nextID
                    nextID += 1
                    contractServices.append(SimContractService(
                        id: csID, contractID: contractID, serviceID: service.id, unitPrice: service.unitPrice, unitCost: service.unitCost))
                    let units = Int(random.next() % 50)
                    if units > 0 {
                        adjustments.append(SimAdjustment(
                            id: nextID, contractID: contractID, serviceID: service.id, contractServiceID: csID,
                            effectiveDate: start, unitChange: units, postedBy: "seed"))
                        nextID += 1
                    }
                }
            }
            world.databases.append(SimDatabase(
                name: name, zone: 2 + (n - 1) % 4, ci: n, users: [
                    SimUser(userName: "api@\(name).example", secret: "secret-\(name)", integrationCode: "IC-\(name)"),
                    SimUser(userName: "limited@\(name).example", secret: "secret-\(name)", integrationCode: "IC-\(name)", lacks: ["Contracts"]),
                ],
                companies: companies, services: services, contracts: contracts, contractServices: contractServices,
                adjustments: adjustments))
        }
        return world
    }
}
