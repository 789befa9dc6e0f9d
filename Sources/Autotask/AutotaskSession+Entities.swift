import Foundation

/// Typed calls for the entities Tally uses.
extension AutotaskSession {
    public func companies(_ query: AutotaskQuery = .all) async throws -> [Company] {
        try await self.query("Companies", query)
    }

    public func companies(ids: [Int]) async throws -> [Company] {
        try await query("Companies", where: "id", in: ids)
    }

    public func company(id: Int) async throws -> Company? { try await get("Companies", id: id) }

    public func contracts(_ query: AutotaskQuery) async throws -> [Contract] {
        try await self.query("Contracts", query)
    }

    public func contracts(ids: [Int]) async throws -> [Contract] {
        try await query("Contracts", where: "id", in: ids)
    }

    /// The contracts of these companies (for mapping organizations to contracts).
    public func contracts(companyIDs: [Int]) async throws -> [Contract] {
        try await query("Contracts", where: "companyID", in: companyIDs)
    }

    public func contract(id: Int) async throws -> Contract? { try await get("Contracts", id: id) }

    public func services(_ query: AutotaskQuery = .all) async throws -> [Service] {
        try await self.query("Services", query)
    }

    public func services(ids: [Int]) async throws -> [Service] {
        try await query("Services", where: "id", in: ids)
    }

    public func service(id: Int) async throws -> Service? { try await get("Services", id: id) }

    /// The services on these contracts.
    public func contractServices(contractIDs: [Int]) async throws -> [ContractService] {
        try await query("ContractServices", where: "contractID", in: contractIDs)
    }

    /// Every unit row (all billing periods) of these contracts.
    public func contractServiceUnits(contractIDs: [Int]) async throws -> [ContractServiceUnit] {
        try await query("ContractServiceUnits", where: "contractID", in: contractIDs)
    }

    /// The unit rows of these contracts whose dates include `day` (startDate ≤ day ≤ endDate).
    public func contractServiceUnits(contractIDs: [Int], on day: AutotaskDay) async throws -> [ContractServiceUnit] {
        let rows: [ContractServiceUnit] = try await query(
            "ContractServiceUnits", where: "contractID", in: contractIDs,
            and: [.field("startDate", .lte, .day(day)), .field("endDate", .gte, .day(day))])
        return rows.filter { $0.covers(day) }
    }

    /// Units in force on `day` per contract and service: of the rows that include the
    /// day, the one that starts latest. A service with no such row is absent, not 0:
    /// its units are unknown (see `ContractServiceUnit.covers`).
    public func unitsInForce(contractIDs: [Int], on day: AutotaskDay) async throws -> [ContractServiceKey: Int] {
        Self.unitsInForce(try await contractServiceUnits(contractIDs: contractIDs, on: day))
    }

    static func unitsInForce(_ rows: [ContractServiceUnit]) -> [ContractServiceKey: Int] {
        var latest: [ContractServiceKey: ContractServiceUnit] = [:]
        for row in rows {
            let key = ContractServiceKey(contractID: row.contractID, serviceID: row.serviceID)
            if let seen = latest[key], seen.startDate > row.startDate || (seen.startDate == row.startDate && seen.id > row.id) { continue }
            latest[key] = row
        }
        return latest.mapValues(\.units)
    }

    /// The request `unitsInForce` sends, in words, for a message that says what showed a gap.
    public static func unitsInForceRequest(contractID: Int, on day: AutotaskDay) -> String {
        "GET ContractServiceUnits/query where contractID = \(contractID) and startDate ≤ \(day) and endDate ≥ \(day)"
    }

    /// Posts a change of units; answers the new adjustment's id. Autotask adds the
    /// service to the contract when it is missing (ContractServiceAdjustments entity
    /// page), so check `contractServices` first when that must not happen.
    public func createContractServiceAdjustment(_ adjustment: ContractServiceAdjustment) async throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try await send(
            .POST, entity: "ContractServiceAdjustments", body: try encoder.encode(adjustment),
            ids: [adjustment.contractID, adjustment.serviceID])
        return try decode(CreateResult.self, from: data, entity: "ContractServiceAdjustments").itemId
    }

    /// The database's API usage in the current hour.
    ///
    /// APIS.md names the path `Internal/thresholdInformation`; Autotask's swagger
    /// (ThresholdApiIntegration) has `GET /V1.0/ThresholdInformation`, and the
    /// documentation wins.
    public func thresholdInformation() async throws -> ThresholdInformation {
        let data = try await send(.GET, entity: "ThresholdInformation", path: "ThresholdInformation")
        return try decode(ThresholdInformation.self, from: data, entity: "thresholdInformation")
    }
}
