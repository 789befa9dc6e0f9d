@testable import Autotask
import Foundation
import TallySim

/// A simulator on 127.0.0.1 (any free port) with a small, known world, and a client
/// pointed at it. Each test gets its own.
struct Fixture {
    static let today = SimDay(year: 2026, month: 3, day: 15)
    static let full = AutotaskCredentials(userName: "api@acme.example", integrationCode: "IC-ACME", secret: "s3cret-acme")
    static let noContracts = AutotaskCredentials(userName: "nocontracts@acme.example", integrationCode: "IC-ACME", secret: "s3cret-nc")
    static let noServices = AutotaskCredentials(userName: "noservices@acme.example", integrationCode: "IC-ACME", secret: "s3cret-ns")

    // Contract ids of the world.
    static let recurring = 100, nonRecurring = 101, inactive = 102, expired = 103
    static let edr = 10, m365 = 11

    static func world() -> SimWorld {
        let start = SimDay(year: 2026, month: 1, day: 1), end = SimDay(year: 2026, month: 12, day: 31)
        return SimWorld(databases: [
            SimDatabase(
                name: "acme", zone: 2, ci: 7,
                users: [
                    SimUser(userName: full.userName, secret: full.secret, integrationCode: full.integrationCode),
                    SimUser(userName: noContracts.userName, secret: noContracts.secret, integrationCode: "IC-ACME", lacks: ["Contracts"]),
                    SimUser(userName: noServices.userName, secret: noServices.secret, integrationCode: "IC-ACME", lacks: ["Services"]),
                ],
                companies: [SimCompany(id: 1, companyName: "Alpha"), SimCompany(id: 2, companyName: "Beta"), SimCompany(id: 3, companyName: "Gamma")],
                services: [SimService(id: edr, name: "Managed EDR", unitPrice: 3), SimService(id: m365, name: "Managed ITDR", unitPrice: 2)],
                contracts: [
                    SimContract(id: recurring, companyID: 1, contractName: "Alpha recurring", startDate: start, endDate: end),
                    SimContract(id: nonRecurring, companyID: 2, contractName: "Beta time and materials", contractType: 1, startDate: start, endDate: end),
                    SimContract(id: inactive, companyID: 3, contractName: "Gamma old", status: 0, startDate: start, endDate: end),
                    SimContract(
                        id: expired, companyID: 3, contractName: "Gamma 2024", startDate: SimDay(year: 2024, month: 1, day: 1),
                        endDate: SimDay(year: 2024, month: 12, day: 31)),
                ],
                contractServices: [SimContractService(id: 1000, contractID: recurring, serviceID: edr, unitPrice: 3)]),
            SimDatabase(
                name: "other", zone: 5,
                users: [SimUser(userName: "api@other.example", secret: "other-secret", integrationCode: "IC-OTHER")]),
        ], today: today)
    }

    let simulator: RunningSimulator
    let client: AutotaskClient
    let records: RequestLog

    var state: SimState { simulator.state }

    static func with<T>(
        world: SimWorld = Fixture.world(), requestTimeout: Duration = .seconds(30), maxConcurrent: Int = 3,
        readRetries: Int = 2, budgetLatencyMilliseconds: Int = 100, maxPages: Int = 2_000, _ body: (Fixture) async throws -> T
    ) async throws -> T {
        let simulator = try await SimServer.start(state: SimState(world: world, budgetLatencyMilliseconds: budgetLatencyMilliseconds))
        let log = RequestLog()
        var configuration = AutotaskConfiguration(
            zoneLookupURL: URL(string: simulator.lookupURL)!, connectTimeout: .seconds(2), requestTimeout: requestTimeout,
            maxConcurrentRequestsPerEndpoint: maxConcurrent, readRetries: readRetries, onRequest: { await log.append($0) })
        configuration.maxPagesPerQuery = maxPages
        let client = AutotaskClient(configuration: configuration)
        let fixture = Fixture(simulator: simulator, client: client, records: log)
        do {
            let result = try await body(fixture)
            try await client.shutdown()
            await simulator.stop()
            return result
        } catch {
            try? await client.shutdown()
            await simulator.stop()
            throw error
        }
    }

    /// Runs `body` expecting an `AutotaskError`, and returns it.
    static func autotaskError(_ body: () async throws -> Void) async -> AutotaskError? {
        do {
            try await body()
            return nil
        } catch let error as AutotaskError {
            return error
        } catch {
            return nil
        }
    }
}

actor RequestLog {
    private(set) var records: [AutotaskRequestRecord] = []

    func append(_ record: AutotaskRequestRecord) { records.append(record) }

    func count(entity: String) -> Int { records.filter { $0.entity == entity }.count }
}
