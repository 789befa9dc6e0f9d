import AsyncHTTPClient
@testable import Huntress
import Foundation
import NIOCore
import NIOHTTP1
import TallySim

/// A simulator on 127.0.0.1 (any free port) serving two Huntress accounts, and a client
/// pointed at it. Each test gets its own.
struct Fixture {
    /// Account 1: `organizations` generated ones (ids from 1,000,001); account 2: one organization.
    static let key = HuntressCredentials(publicKey: "hk-pub-1", privateKey: "hk-priv-1-Zq7x")
    static let otherKey = HuntressCredentials(publicKey: "hk-pub-2", privateKey: "hk-priv-2-Wm4y")
    static let otherOrganization = 2_000_001

    let simulator: RunningSimulator
    let client: HuntressClient
    let log: RequestLog

    var state: SimState { simulator.state }
    var session: HuntressSession { client.session(Self.key) }

    static func world(organizations: Int) -> SimHuntressWorld {
        var world = HuntressGenerator(seed: 7, accounts: 1, organizationsPerAccount: organizations).generate()
        world.accounts[0].privateKey = key.privateKey
        world.accounts.append(SimHuntressAccount(
            id: 2, name: "Other MSP", publicKey: otherKey.publicKey, privateKey: otherKey.privateKey,
            organizations: [SimHuntressOrganization(id: otherOrganization, name: "Elsewhere", agentsCount: 3)]))
        return world
    }

    static func with<T>(
        organizations: Int = 25, requestTimeout: Duration = .seconds(10), throttleRetries: Int = 3, serverErrorRetries: Int = 2,
        _ body: (Fixture) async throws -> T
    ) async throws -> T {
        let simulator = try await SimServer.start(state: SimState())
        await simulator.state.loadHuntress(world(organizations: organizations))
        let log = RequestLog()
        let configuration = HuntressConfiguration(
            baseURL: URL(string: simulator.huntressURL)!, plainHTTPHosts: ["127.0.0.1"], connectTimeout: .seconds(2),
            requestTimeout: requestTimeout, throttleRetries: throttleRetries, serverErrorRetries: serverErrorRetries,
            serverErrorBackoff: .milliseconds(20),
            beforeRequest: { key in await log.permit(key) }, onRequest: { await log.append($0) })
        let client: HuntressClient
        do {
            client = try HuntressClient(configuration: configuration)
        } catch {
            await simulator.stop()
            throw error
        }
        do {
            let result = try await body(Fixture(simulator: simulator, client: client, log: log))
            try await client.shutdown()
            await simulator.stop()
            return result
        } catch {
            try? await client.shutdown()
            await simulator.stop()
            throw error
        }
    }

    /// Calls any path of the simulator, the admin API without credentials.
    func admin(
        _ method: HTTPMethod, _ path: String, _ body: String? = nil, headers: [(String, String)] = []
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(simulator.port)\(path)")
        request.method = method
        request.headers.add(contentsOf: headers)
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let buffer = try await response.body.collect(upTo: 10 << 20)
        return (Int(response.status.code), String(buffer: buffer))
    }

    /// Runs `body` expecting a `HuntressError`, and returns it.
    static func huntressError(_ body: () async throws -> Void) async -> HuntressError? {
        do {
            try await body()
            return nil
        } catch let error as HuntressError {
            return error
        } catch {
            return nil
        }
    }

    /// Every way an error is shown, none of which may hold a private key or the Authorization value.
    static func leaksNoSecret(_ error: HuntressError, also extra: [HuntressCredentials] = []) -> Bool {
        let texts = ["\(error)", String(reflecting: error), error.message, error.huntressMessage ?? "", error.request ?? ""]
        let secrets = ([key, otherKey] + extra).flatMap { [$0.privateKey, $0.authorization, String($0.authorization.dropFirst(6))] }
        return !texts.contains { text in secrets.contains { text.contains($0) } }
    }
}

actor RequestLog {
    private(set) var records: [HuntressRequestRecord] = []
    private(set) var permits: [String] = []

    func append(_ record: HuntressRequestRecord) { records.append(record) }

    func permit(_ key: String) { permits.append(key) }
}
