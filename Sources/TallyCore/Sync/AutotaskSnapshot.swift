public import Autotask
import NIOConcurrencyHelpers

/// The Autotask data a batch needs, read with one query per entity per 500
/// contracts: the contracts, the services on them, and the units in force today.
public final class AutotaskSnapshot: Sendable {
    public let contracts: [Int: Contract]
    /// Contract services by (contract, service).
    public let contractServices: [ContractServiceKey: ContractService]
    private let units: NIOLockedValueBox<[ContractServiceKey: Int]>

    init(contracts: [Int: Contract], contractServices: [ContractServiceKey: ContractService], units: [ContractServiceKey: Int]) {
        self.contracts = contracts
        self.contractServices = contractServices
        self.units = NIOLockedValueBox(units)
    }

    static let empty = AutotaskSnapshot(contracts: [:], contractServices: [:], units: [:])

    static func read(contractIDs: [Int], on day: AutotaskDay, session: AutotaskSession) async throws -> AutotaskSnapshot {
        guard !contractIDs.isEmpty else { return .empty }
        let contracts = try await session.contracts(ids: contractIDs)
        let services = try await session.contractServices(contractIDs: contractIDs)
        let units = try await session.unitsInForce(contractIDs: contractIDs, on: day)
        return AutotaskSnapshot(
            contracts: Dictionary(contracts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            contractServices: Dictionary(
                services.map { (ContractServiceKey(contractID: $0.contractID, serviceID: $0.serviceID), $0) },
                uniquingKeysWith: { first, _ in first }),
            units: units)
    }

    /// Units in force today; nil when Autotask answered no unit row that covers today.
    public func units(_ key: ContractServiceKey) -> Int? { units.withLockedValue { $0[key] } }

    /// Records units known to be in force now (after a write or a re-read; nil: no row covers today).
    func setUnits(_ value: Int?, for key: ContractServiceKey) { units.withLockedValue { $0[key] = value } }
}
