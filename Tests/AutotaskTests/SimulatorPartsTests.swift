@testable import Autotask
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TallySim
import Testing

@Suite("Limiter, fault spec and the admin API")
struct SimulatorPartsTests {
    @Test func limiterIsFIFOAndCancellable() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        let order = RequestOrder()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await limiter.withPermit(for: "k") {
                for await _ in gate { break }
            }
        }
        try await TestWait.until { await limiter.holders(for: "k") == 1 }
        let cancelled = Task { try await limiter.withPermit(for: "k") { await order.add(0) } }
        try await TestWait.until { await limiter.waiting(for: "k") == 1 }
        var waiters: [Task<Void, any Error>] = []
        for n in 1...3 {
            waiters.append(Task { try await limiter.withPermit(for: "k") { await order.add(n) } })
            try await TestWait.until { await limiter.waiting(for: "k") == n + 1 }
        }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        open.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await order.values == [1, 2, 3])
        #expect(await limiter.holders(for: "k") == 0)
    }

    @Test func faultSpecs() throws {
        let spec = try FaultSpec(parsing: "5xx=0.1, ise=0.05,hang=0.01,hangFor=2s,latency=30ms,outage=off,seed=9")
        #expect(spec.serverErrorRate == 0.1 && spec.bareErrorRate == 0.05 && spec.hangRate == 0.01)
        #expect(spec.hangMilliseconds == 2000 && spec.latencyMilliseconds == 30 && !spec.outage && spec.seed == 9)
        #expect(try FaultSpec(parsing: "429=0.25").throttleRate == 0.25)
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "5xx=2") }
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "bogus=1") }
    }

    @Test func generatedWorldsAreDeterministic() throws {
        let a = WorldGenerator(seed: 7, databases: 2, companiesPerDatabase: 20, today: SimDay(year: 2026, month: 3, day: 1)).generate()
        let b = WorldGenerator(seed: 7, databases: 2, companiesPerDatabase: 20, today: SimDay(year: 2026, month: 3, day: 1)).generate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(a) == (try encoder.encode(b)))
        #expect(a.databases.map(\.contracts.count) == [20, 20])
    }

    @Test func adminAPI() async throws {
        let simulator = try await SimServer.start(state: SimState())
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil, as user: String? = nil) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(simulator.port)\(path)")
            request.method = method
            if let user {
                request.headers.add(name: "UserName", value: user)
                request.headers.add(name: "Secret", value: "secret-db2")
                request.headers.add(name: "ApiIntegrationCode", value: "IC-db2")
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await http.execute(request, timeout: .seconds(5))
            let buffer = try await response.body.collect(upTo: 10 << 20)
            return (Int(response.status.code), String(buffer: buffer))
        }
        do {
            #expect(try await call(.POST, "/_sim/generate", #"{"seed":3,"databases":2,"companiesPerDatabase":4}"#).0 == 200)
            let (status, units) = try await call(.GET, "/_sim/databases/db2/units")
            #expect(status == 200 && units.contains("contractServiceID"))
            #expect(try await call(.PUT, "/_sim/faults", "latency=5,seed=4").1.contains("latency=5ms"))
            #expect(try await call(.PUT, "/_sim/faults", "nonsense").0 == 400)
            #expect(try await call(.GET, "/_SIM/stats").0 == 200)
            let lookup = try await call(.GET, "/atservicesrest/v1.0/ZONEINFORMATION?user=api@db2.example")
            #expect(lookup.0 == 200 && lookup.1.contains("/ws3/ATServicesRest/"))
            #expect(try await call(.GET, "/ATServicesRest/V1.0/zoneInformation?user=nobody").0 == 500)
            // A query without Content-Type: application/json is refused, as Autotask does.
            #expect(try await call(.POST, "/ws3/ATServicesRest/V1.0/Companies/query", #"{"filter":[]}"#).0 == 415)
            // The other ways in: GET query with ?search=, query/count, the child path for adjustments.
            let user = "api@db2.example"
            let search = #"{"filter":[{"op":"in","field":"id","value":[2001001,2001003]}]}"#
                .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = try await call(.GET, "/ws3/atservicesrest/v1.0/companies/query?search=\(search)", as: user)
            #expect(found.0 == 200 && found.1.contains("2001001") && found.1.contains("2001003") && !found.1.contains("2001002"))
            let count = try await call(.POST, "/ws3/ATServicesRest/V1.0/Contracts/query/count", #"{"filter":[{"op":"exist","field":"id"}]}"#, as: user)
            #expect(count.1 == #"{"queryCount":4}"#)
            let worldText = try await call(.GET, "/_sim/world").1
            let world = try JSONDecoder().decode(SimWorld.self, from: Data(worldText.utf8))
            let contract = try #require(world.databases.first { $0.name == "db2" }?.contracts.first { $0.contractType == 7 && $0.status == 1 })
            let adjustment = #"{"serviceID":2000001,"effectiveDate":"\#(contract.startDate)T00:00:00","unitChange":3}"#
            let created = try await call(.POST, "/ws3/ATServicesRest/V1.0/Contracts/\(contract.id)/ServiceAdjustments", adjustment, as: user)
            #expect(created.0 == 200 && created.1.hasPrefix(#"{"itemId":"#))
            #expect(try await call(.GET, "/_sim/databases/db2/adjustments").1.contains(#""postedBy":"api@db2.example""#))
            #expect(try await call(.POST, "/_sim/reset").0 == 200)
            #expect(try await call(.GET, "/_sim/databases/db2/units").0 == 404)
        } catch {
            try? await http.shutdown()
            await simulator.stop()
            throw error
        }
        try await http.shutdown()
        await simulator.stop()
    }
}

actor RequestOrder {
    var values: [Int] = []
    func add(_ n: Int) { values.append(n) }
}

enum TestWait {
    struct TimedOut: Error {}

    /// Checks `condition` every 5 ms until it holds, for at most `timeout`.
    static func until(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
