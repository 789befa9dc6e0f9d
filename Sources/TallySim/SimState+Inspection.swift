import Foundation

/// What the admin API reads.
public struct SimUnits: Sendable, Codable, Equatable {
    public var contractID: Int
    public var serviceID: Int
    public var contractServiceID: Int
    public var units: Int
}

public struct SimStatistics: Sendable, Codable {
    /// database → entity → requests that reached the database (refused ones included).
    public var requests: [String: [String: Int]]
    /// "user endpoint" → most requests seen in flight at once.
    public var maxConcurrency: [String: Int]
    /// database → requests counted in the current rolling hour.
    public var hourlyUsage: [String: Int]
    /// "threadLimit" / "threshold" → refusals.
    public var refusals: [String: Int]
    /// database → calls slowed down for being past half of the hourly budget.
    public var budgetSlowed: [String: Int]
    /// Fault (`5xx`, `ise`, `429`, `hang`, `lost`, `outage`) → calls it was injected into.
    public var faultsInjected: [String: Int]
}

extension SimState {
    /// Units in force on `day` (today when nil) per contract service of a database.
    public func units(database: String, on day: SimDay? = nil) -> [SimUnits]? {
        guard let db = databases[database] else { return nil }
        let day = day ?? today
        let contracts = Dictionary(db.spec.contracts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return db.spec.contractServices.compactMap { cs in
            guard let contract = contracts[cs.contractID] else { return nil }
            let units = BillingPeriods.units(
                on: day, contract: contract, adjustments: db.adjustments.filter { $0.contractServiceID == cs.id }, today: today)
            return SimUnits(contractID: cs.contractID, serviceID: cs.serviceID, contractServiceID: cs.id, units: units)
        }
    }

    /// Counts a fault the routes applied (a lost answer is decided at admission but applies to writes only).
    func noteFault(_ name: String) {
        faultsInjected[name, default: 0] += 1
    }

    public func adjustments(database: String) -> [SimAdjustment]? {
        databases[database]?.adjustments
    }

    public func statistics() -> SimStatistics {
        let now = Date()
        var usage: [String: Int] = [:]
        for name in databases.keys { usage[name] = usedThisHour(name, now: now) }
        return SimStatistics(requests: requestCounts, maxConcurrency: maxInFlight, hourlyUsage: usage, refusals: refusals, budgetSlowed: budgetSlowed,
            faultsInjected: faultsInjected)
    }

    /// The world as it stands now (adjustments included), e.g. to save and reload.
    public func world() -> SimWorld {
        var world = SimWorld(today: fixedToday)
        world.databases = databases.values.map { db in
            var spec = db.spec
            spec.adjustments = db.adjustments
            return spec
        }.sorted { $0.name < $1.name }
        return world
    }
}
