import Foundation

/// Everything the simulator knows; one actor, so every answer sees one consistent state.
public actor SimState {
    struct Database {
        var spec: SimDatabase
        var adjustments: [SimAdjustment]
        var nextID: Int
        var unitRows: [JSONValue]?
        var window: [Date] = []
        var notes: [SimContractNote] = []
    }

    var databases: [String: Database] = [:]
    /// Lower-cased user name → database name.
    var userIndex: [String: String] = [:]
    var fixedToday: SimDay?
    /// The simulated Huntress (`SimState+Huntress.swift`).
    var huntress = HuntressBook()
    /// Webhook deliveries received (`SimState+Hooks`).
    var hookSink = HookSink()

    // Limits and faults.
    var defaultHourlyBudget: Int
    /// Added per call past half of the budget (doubled past three quarters).
    var budgetLatencyMilliseconds: Int
    var faults: FaultSpec
    var random: SeededGenerator

    // Statistics.
    var requestCounts: [String: [String: Int]] = [:]
    var inFlight: [String: Int] = [:]
    var maxInFlight: [String: Int] = [:]
    var refusals: [String: Int] = [:]
    var budgetSlowed: [String: Int] = [:]
    var faultsInjected: [String: Int] = [:]

    public init(world: SimWorld = SimWorld(), hourlyBudget: Int = 10_000, budgetLatencyMilliseconds: Int = 500, faults: FaultSpec = FaultSpec()) {
        defaultHourlyBudget = hourlyBudget
        self.budgetLatencyMilliseconds = budgetLatencyMilliseconds
        self.faults = faults
        random = SeededGenerator(seed: faults.seed)
        (databases, userIndex) = Self.index(world)
        fixedToday = world.today
    }

    var today: SimDay { fixedToday ?? SimDay.today() }

    public func load(_ world: SimWorld) {
        (databases, userIndex) = Self.index(world)
        fixedToday = world.today
    }

    private static func index(_ world: SimWorld) -> ([String: Database], [String: String]) {
        var databases: [String: Database] = [:]
        var users: [String: String] = [:]
        for spec in world.databases {
            let ids = spec.companies.map(\.id) + spec.services.map(\.id) + spec.contracts.map(\.id)
                + spec.contractServices.map(\.id) + (spec.adjustments ?? []).map(\.id)
            databases[spec.name] = Database(spec: spec, adjustments: spec.adjustments ?? [], nextID: (ids.max() ?? 0) + 1)
            for user in spec.users { users[user.userName.lowercased()] = spec.name }
        }
        return (databases, users)
    }

    public func resetStatistics() {
        requestCounts = [:]
        maxInFlight = [:]
        refusals = [:]
        budgetSlowed = [:]
        faultsInjected = [:]
        for name in databases.keys { databases[name]?.window = [] }
    }

    public func reset() {
        load(SimWorld())
        resetStatistics()
        setFaults(FaultSpec())
        huntress = HuntressBook()
        hookSink = HookSink()
    }

    public func setFaults(_ spec: FaultSpec) {
        faults = spec
        random = SeededGenerator(seed: spec.seed)
    }

    public func currentFaults() -> FaultSpec { faults }

    public func setToday(_ day: SimDay?) {
        fixedToday = day
        // Rows reach a year past today.
        for name in databases.keys { databases[name]?.unitRows = nil }
    }

    public func setBudget(database: String, hourlyBudget: Int?) -> Bool {
        guard databases[database] != nil else { return false }
        databases[database]?.spec.hourlyBudget = hourlyBudget
        return true
    }

    /// Counts `requests` made now by the database's other integrations against its hourly threshold.
    public func addLoad(database: String, requests: Int) -> Bool {
        guard databases[database] != nil, requests >= 0 else { return false }
        let now = Date()
        databases[database]?.window.append(contentsOf: repeatElement(now, count: requests))
        return true
    }

    public func setBudgetLatency(milliseconds: Int) { budgetLatencyMilliseconds = milliseconds }

    /// Moves a database to another zone (its users must look the zone up again).
    public func move(database: String, toZone zone: Int) -> Bool {
        guard databases[database] != nil else { return false }
        databases[database]?.spec.zone = zone
        return true
    }

    func hourlyBudget(of database: String) -> Int {
        databases[database]?.spec.hourlyBudget ?? defaultHourlyBudget
    }

    func usedThisHour(_ database: String, now: Date) -> Int {
        prune(database, now: now)
        return databases[database]?.window.count ?? 0
    }

    private func prune(_ database: String, now: Date) {
        guard var window = databases[database]?.window else { return }
        let cutoff = now.addingTimeInterval(-3600)
        if let firstKept = window.firstIndex(where: { $0 > cutoff }) {
            if firstKept > 0 { window.removeFirst(firstKept) }
        } else {
            window.removeAll()
        }
        databases[database]?.window = window
    }
}
