@testable import Huntress
import Foundation
import TallySim
import Testing

@Suite("Errors, retries and the rate limit")
struct ErrorTests {
    @Test func wrongKeySaysWhatToDo() async throws {
        try await Fixture.with { f in
            let wrongPrivate = HuntressCredentials(publicKey: "hk-pub-1", privateKey: "not-the-key-9f8e")
            let unknownPublic = HuntressCredentials(publicKey: "hk-pub-nobody", privateKey: "whatever-7c6d")
            for credentials in [wrongPrivate, unknownPublic] {
                let error = try #require(await Fixture.huntressError { _ = try await f.client.session(credentials).organizations() })
                #expect(error.reason == .badKey && error.status == 401 && !error.isTransient)
                #expect(error.description.contains("the Huntress key is wrong or revoked"))
                #expect(error.description.contains("tally tenant huntress TENANT"))
                #expect(error.description.contains(credentials.publicKey))
                #expect(Fixture.leaksNoSecret(error, also: [credentials]))
            }
            // A 401 is not retried: one request each.
            #expect(await f.log.records.map(\.status) == [401, 401])
            #expect(await f.state.huntressStatistics().unauthorized == 2)
        }
    }

    @Test func serverErrorsAreRetriedThenSurfaced() async throws {
        try await Fixture.with(serverErrorRetries: 2) { f in
            await f.state.setHuntressFaults(try FaultSpec(parsing: "5xx=1"))
            let error = try #require(await Fixture.huntressError { _ = try await f.session.organizations() })
            #expect(error.reason == .serverError && error.status == 503 && error.isTransient)
            #expect(await f.log.records.map(\.status) == [503, 503, 503])
            #expect(await f.log.permits.count == 3)
            #expect(Fixture.leaksNoSecret(error))

            await f.state.setHuntressFaults(try FaultSpec(parsing: "ise=1"))
            let bare = try #require(await Fixture.huntressError { _ = try await f.session.organization(id: 1_000_001) })
            #expect(bare.reason == .serverError && bare.status == 500 && bare.huntressMessage == "Internal Server Error")
        }
    }

    @Test func serverErrorsInBetweenDoNotStopAListing() async throws {
        try await Fixture.with(organizations: 1_200, serverErrorRetries: 6) { f in
            await f.state.setHuntressFaults(try FaultSpec(parsing: "5xx=0.4,seed=3"))
            #expect(try await f.session.organizations().count == 1_200)
            let injected = await f.state.huntressStatistics().faultsInjected["5xx"] ?? 0
            #expect(injected > 0)
            #expect(await f.log.records.count == 3 + injected)
        }
    }

    @Test func noAnswerIsTransientAndRetried() async throws {
        try await Fixture.with(requestTimeout: .milliseconds(300), serverErrorRetries: 1) { f in
            await f.state.setHuntressFaults(try FaultSpec(parsing: "hang=1,hangFor=1200"))
            let error = try #require(await Fixture.huntressError { _ = try await f.session.organization(id: 1_000_001) })
            #expect(error.reason == .timeout && error.isTransient && error.status == nil)
            #expect(await f.log.records.map(\.status) == [nil, nil])
        }
    }

    @Test func throttlingIsWaitedOut() async throws {
        try await Fixture.with { f in
            await f.state.setHuntressLimit(requests: 2, windowSeconds: 1)
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<3 { _ = try await f.session.organization(id: 1_000_001) }
            let elapsed = clock.now - started
            #expect(await f.log.records.map(\.status) == [200, 200, 429, 200])
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "\(elapsed)")
            let stats = await f.state.huntressStatistics()
            #expect(stats.throttled["hk-pub-1"] == 1 && stats.admitted["hk-pub-1"] == 3)
        }
    }

    @Test func throttlingPastTheBoundIsSurfacedWithRetryAfter() async throws {
        try await Fixture.with(throttleRetries: 1) { f in
            await f.state.setHuntressFaults(try FaultSpec(parsing: "429=1"))
            let error = try #require(await Fixture.huntressError { _ = try await f.session.organization(id: 1_000_001) })
            #expect(error.reason == .throttled && error.status == 429 && error.isTransient)
            #expect(error.retryAfter == .seconds(1))
            #expect(await f.log.records.map(\.status) == [429, 429])
            #expect(Fixture.leaksNoSecret(error))
        }
        try await Fixture.with(throttleRetries: 0) { f in
            await f.state.setHuntressLimit(requests: 1, windowSeconds: 60)
            _ = try await f.session.organization(id: 1_000_001)
            let error = try #require(await Fixture.huntressError { _ = try await f.session.organization(id: 1_000_001) })
            let wait = try #require(error.retryAfter)
            #expect(error.reason == .throttled && wait > .seconds(55) && wait <= .seconds(60))
        }
    }

    @Test func simulatorNeverAdmitsMoreThanSixtyAMinutePerKey() async throws {
        try await Fixture.with(throttleRetries: 0) { f in
            let session = f.session
            let reasons = await withTaskGroup(of: HuntressError.Reason?.self) { group in
                for n in 0..<100 {
                    group.addTask { await Fixture.huntressError { _ = try await session.organization(id: 1_000_001 + n % 25) }?.reason }
                }
                return await group.reduce(into: [HuntressError.Reason?]()) { $0.append($1) }
            }
            #expect(reasons.filter { $0 == nil }.count == 60)
            #expect(reasons.filter { $0 == .throttled }.count == 40)
            let stats = await f.state.huntressStatistics()
            #expect(stats.mostInAnyWindow["hk-pub-1"] == 60)
            #expect(stats.admitted["hk-pub-1"] == 60 && stats.requests["hk-pub-1"] == 100)
            // The limit is per key: another account is still served.
            let other = try await f.client.session(Fixture.otherKey).organizations()
            #expect(other.count == 1)
        }
    }

    @Test func aThrowingPermitHookSendsNothing() async throws {
        struct NoPermit: Error {}
        let simulator = try await SimServer.start(state: SimState())
        await simulator.state.loadHuntress(Fixture.world(organizations: 3))
        let client = try HuntressClient(configuration: HuntressConfiguration(
            baseURL: URL(string: simulator.huntressURL)!, plainHTTPHosts: ["127.0.0.1"], beforeRequest: { _ in throw NoPermit() }))
        await #expect(throws: NoPermit.self) { _ = try await client.session(Fixture.key).organizations() }
        try await client.shutdown()
        #expect(await simulator.state.huntressStatistics().requests.isEmpty)
        await simulator.stop()
    }

    @Test func plainHTTPOnlyToAllowedHosts() async throws {
        for url in ["http://api.huntress.io/v1/", "http://127.0.0.1:9/huntress/v1/", "ftp://api.huntress.io/v1/"] {
            #expect(throws: HuntressError.self) { _ = try HuntressClient(configuration: HuntressConfiguration(baseURL: URL(string: url)!)) }
        }
        let allowed = try HuntressClient(configuration: HuntressConfiguration(
            baseURL: URL(string: "http://127.0.0.1:9/huntress/v1")!, plainHTTPHosts: ["127.0.0.1"]))
        #expect(allowed.baseURL.absoluteString == "http://127.0.0.1:9/huntress/v1/")
        try await allowed.shutdown()
        let real = try HuntressClient()
        #expect(real.baseURL.absoluteString == "https://api.huntress.io/v1/")
        try await real.shutdown()
    }
}
