@testable import Autotask
import Foundation
import TallySim
import Testing

@Suite("Zones, thread limit and hourly budget")
struct ZoneAndLimitTests {
    @Test func rediscoversAMovedZone() async throws {
        try await Fixture.with { f in
            let at = f.client.session(Fixture.full)
            #expect(try await at.zoneBaseURL().absoluteString.lowercased().hasSuffix("/ws2/atservicesrest/v1.0/"))
            _ = try await at.companies()
            #expect(await f.state.move(database: "acme", toZone: 3))
            #expect(try await at.companies().count == 3)
            #expect(try await at.zoneBaseURL().absoluteString.lowercased().hasSuffix("/ws3/atservicesrest/v1.0/"))
            let entities = await f.records.records.map(\.entity)
            #expect(entities.filter { $0 == "zoneInformation" }.count == 2)
            #expect(entities.filter { $0 == "Companies" }.count == 3)  // one answered "wrong zone"
        }
    }

    /// Two tenants given the same API user are two accounts: each has its own
    /// zone and its requests are recorded as its own (issue 18).
    @Test func twoAccountsOfOneAPIUserShareNeitherZoneNorRecords() async throws {
        try await Fixture.with { f in
            var first = Fixture.full, second = Fixture.full
            first.account = "tenant:1"
            second.account = "tenant:2"
            _ = try await f.client.session(first).companies()
            _ = try await f.client.session(second).companies()
            _ = try await f.client.session(second).companies()
            let records = await f.records.records
            #expect(records.filter { $0.entity == "zoneInformation" }.map(\.account) == ["tenant:1", "tenant:2"])
            #expect(records.filter { $0.entity == "Companies" }.map(\.account) == ["tenant:1", "tenant:2", "tenant:2"])
            #expect(Set(records.map(\.userName)) == [Fixture.full.userName])
        }
    }

    /// A zone answer (real or spoofed) pointing anywhere but an https host under
    /// autotask.net or the operator's own lookup host receives no credentials (issue 18).
    @Test(arguments: [
        "http://collector.example.net/ATServicesRest/", "https://webservices5.autotask.net.example.com/ATServicesRest/",
        "http://webservices5.autotask.net/ATServicesRest/", "ftp://127.0.0.1/ATServicesRest/",
    ])
    func aZoneAnswerPointingElsewhereGetsNoCredentials(_ answer: String) async throws {
        var world = Fixture.world()
        world.databases[0].zoneAnswer = answer
        try await Fixture.with(world: world) { f in
            let error = await Fixture.autotaskError { _ = try await f.client.session(Fixture.full).companies() }
            #expect(error?.reason == .invalidResponse)
            #expect(error?.message.contains("Tally sent no credentials there") == true, "\(String(describing: error))")
            #expect(await f.records.records.map(\.entity) == ["zoneInformation"], "nothing was sent after the lookup")
        }
    }

    @Test func credentialsGoToAutotaskHostsOrTheOperatorsOwnLookupHost() {
        let autotask = AutotaskConfiguration()
        #expect(autotask.mayReceiveCredentials(URL(string: "https://webservices5.autotask.net/ATServicesRest/V1.0/")!))
        #expect(!autotask.mayReceiveCredentials(URL(string: "http://webservices5.autotask.net/ATServicesRest/V1.0/")!))
        #expect(!autotask.mayReceiveCredentials(URL(string: "https://autotask.net.evil.example/ATServicesRest/V1.0/")!))
        #expect(!autotask.mayReceiveCredentials(URL(string: "https://evilautotask.net/ATServicesRest/V1.0/")!))
        let simulator = AutotaskConfiguration(zoneLookupURL: URL(string: "http://127.0.0.1:8080/ATServicesRest/")!)
        #expect(simulator.mayReceiveCredentials(URL(string: "http://127.0.0.1:8080/ws2/ATServicesRest/V1.0/")!))
        #expect(!simulator.mayReceiveCredentials(URL(string: "http://127.0.0.1:9090/ws2/ATServicesRest/V1.0/")!))
        #expect(!simulator.mayReceiveCredentials(URL(string: "http://localhost:8080/ws2/ATServicesRest/V1.0/")!))
        #expect(simulator.mayReceiveCredentials(URL(string: "https://webservices2.autotask.net/ATServicesRest/V1.0/")!))
    }

    @Test func tenConcurrentCallersStayWithinThree() async throws {
        try await Fixture.with { f in
            await f.state.setFaults(try FaultSpec(parsing: "latency=200"))
            let at = f.client.session(Fixture.full)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await at.contracts(ids: [Fixture.recurring]).count } }
                for try await count in group { #expect(count == 1) }
            }
            // The ten callers shared one zone lookup.
            #expect(await f.records.count(entity: "zoneInformation") == 1)
            let stats = await f.state.statistics()
            let most = try #require(stats.maxConcurrency["api@acme.example contracts"])
            #expect(most <= 3 && most >= 2)
            #expect(stats.refusals.isEmpty)
            #expect(stats.requests["acme"]?["Contracts"] == 10)
        }
    }

    @Test func simulatorRefusesAFourthConcurrentRequest() async throws {
        // A client allowed 10 at once, that does not retry, shows that the simulator enforces Autotask's 3.
        try await Fixture.with(maxConcurrent: 10, readRetries: 0) { f in
            await f.state.setFaults(try FaultSpec(parsing: "latency=600"))
            let at = f.client.session(Fixture.full)
            _ = try await at.zoneBaseURL()
            let reasons = await withTaskGroup(of: AutotaskError.Reason?.self) { group in
                for _ in 0..<6 {
                    group.addTask { await Fixture.autotaskError { _ = try await at.services() }?.reason }
                }
                return await group.reduce(into: [AutotaskError.Reason?]()) { $0.append($1) }
            }
            #expect(reasons.contains(.threadLimit))
            #expect(reasons.filter { $0 == nil }.count >= 3)
            #expect(await f.state.statistics().maxConcurrency["api@acme.example services"] == 3)
        }
    }

    @Test func budgetSlowsPastHalfAndRefusesAtFull() async throws {
        try await Fixture.with(budgetLatencyMilliseconds: 250) { f in
            let at = f.client.session(Fixture.full)
            _ = try await at.services()  // zone lookup and connection set up before timing
            await f.state.resetStatistics()
            #expect(await f.state.setBudget(database: "acme", hourlyBudget: 10))
            let clock = ContinuousClock()
            var durations: [Duration] = []
            for _ in 0..<10 {
                let started = clock.now
                _ = try await at.services()
                durations.append(clock.now - started)
            }
            // Calls 6 to 10 were slowed: 250 ms past half, 500 ms past three quarters.
            #expect(await f.state.statistics().budgetSlowed["acme"] == 5)
            #expect(durations[5..<7].allSatisfy { $0 >= .milliseconds(250) }, "\(durations)")
            #expect(durations[7...].allSatisfy { $0 >= .milliseconds(500) }, "\(durations)")

            let refused = await Fixture.autotaskError { _ = try await at.services() }
            #expect(refused?.reason == .budgetExhausted && refused?.isTransient == true && refused?.status == 429)
            #expect(refused?.retryAfter != nil)

            // thresholdInformation is refused too once the budget is spent; raise it and look.
            #expect(await f.state.setBudget(database: "acme", hourlyBudget: 100))
            let threshold = try await at.thresholdInformation()
            #expect(threshold.externalRequestThreshold == 100)
            #expect(threshold.currentTimeframeRequestCount == 11)
        }
    }
}
