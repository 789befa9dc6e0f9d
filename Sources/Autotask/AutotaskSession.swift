public import Foundation
import HTTPExchange
import NIOHTTP1

/// The calls of one API user (one tenant's Autotask database).
public struct AutotaskSession: Sendable {
    let client: AutotaskClient
    public let credentials: AutotaskCredentials

    /// The zone's versioned base URL, looked up once and cached.
    public func zoneBaseURL() async throws -> URL {
        try await client.zones.zone(for: credentials.account) { try await lookUpZone() }
    }

    /// Forgets the cached zone and looks it up again.
    @discardableResult
    public func rediscoverZone() async throws -> URL {
        await client.zones.forget(credentials.account)
        return try await zoneBaseURL()
    }

    /// `GET zoneInformation?user=` on the lookup host (no credentials needed).
    private func lookUpZone() async throws -> URL {
        var components = URLComponents(
            url: client.configuration.zoneLookupURL.appendingPathComponent("V1.0/zoneInformation"),
            resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "user", value: credentials.userName)]
        let call = Call(
            method: .GET, userName: credentials.userName, account: credentials.account, entity: "zoneInformation", url: components.url!,
            body: nil, ids: [])
        let response = try await client.transmit(call, credentials: nil)
        guard response.status == 200 else {
            let errors = Self.errors(in: response.body)
            if response.status == 500 && !ErrorClassifier.isBare(errors.joined().lowercased()) {
                // Autotask answers an unknown user with 500 "Zone information could not be determined".
                throw AutotaskError(
                    reason: .badCredentials,
                    message: "Autotask does not know the API user \(credentials.userName): check the user name of the API user in Autotask and update the tenant's credentials.",
                    status: response.status, autotaskErrors: errors, request: call.summary)
            }
            throw ErrorClassifier.classify(status: response.status, errors: errors, retryAfter: nil, request: call.summary)
        }
        let info = try decode(ZoneInformation.self, from: response.body, call: call)
        guard let base = ZoneURL.versionedBase(from: info.url) else {
            throw AutotaskError(reason: .invalidResponse, message: "Autotask answered a zone URL that is not a URL.", request: call.summary)
        }
        guard client.configuration.mayReceiveCredentials(base) else {
            throw AutotaskError(
                reason: .invalidResponse,
                message: "the zone lookup answered \(base.scheme ?? "?")://\(base.host ?? "?") for API user \(credentials.userName), which is neither an https host under autotask.net nor the lookup host Tally was told to use: Tally sent no credentials there; check TALLY_AUTOTASK_URL (or --autotask-url) and the network path to Autotask",
                request: call.summary)
        }
        return base
    }

    /// Sends a request to the user's zone; on an answer that says the zone is wrong,
    /// looks the zone up again and, if it moved, retries once.
    func send(_ method: HTTPMethod, entity: String, path: String? = nil, absoluteURL: URL? = nil, body: Data? = nil, ids: [Int] = []) async throws -> Data {
        var rediscovered = false
        while true {
            let base = try await zoneBaseURL()
            let url: URL
            if let absoluteURL {
                guard Self.sameOrigin(absoluteURL, base) else {
                    throw AutotaskError(
                        reason: .invalidResponse, message: "Autotask answered a next-page URL outside the user's zone; it was not followed.",
                        request: .init(method: method.rawValue, entity: entity, ids: ids))
                }
                url = absoluteURL
            } else {
                url = URL(string: path ?? entity, relativeTo: base)!.absoluteURL
            }
            let call = Call(method: method, userName: credentials.userName, account: credentials.account, entity: entity, url: url, body: body, ids: ids)
            let response = try await client.limiter.withPermit(for: credentials.account + "\u{0}" + entity.lowercased()) {
                try await client.transmit(call, credentials: credentials)
            }
            if (200..<300).contains(response.status) { return response.body }

            let error = ErrorClassifier.classify(
                status: response.status, errors: Self.errors(in: response.body),
                retryAfter: Self.retryAfter(response.headers), request: call.summary)
            let mayBeZone = error.reason == .wrongZone || error.reason == .badCredentials
            if mayBeZone && !rediscovered && absoluteURL == nil {
                rediscovered = true
                let newBase = try await rediscoverZone()
                if newBase != base { continue }
            }
            throw error
        }
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data, call: Call? = nil, entity: String = "") throws -> T {
        try Self.decodeAnswer(type, from: data, call: call, entity: entity)
    }

    /// An answer's JSON as `type`, or an `invalidResponse` error that says what could not be read.
    static func decodeAnswer<T: Decodable>(_ type: T.Type, from data: Data, call: Call? = nil, entity: String = "") throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw AutotaskError(
                reason: .invalidResponse,
                message: "Autotask answered \(call?.entity ?? entity) with JSON Tally cannot read (\(HTTPExchange.describe(decodingError: error))).",
                request: call?.summary ?? .init(method: "", entity: entity, ids: []))
        }
    }

    static func errors(in body: Data) -> [String] {
        if let envelope = try? JSONDecoder().decode(ErrorsEnvelope.self, from: body) {
            if let errors = envelope.errors { return errors }
            if let message = envelope.message { return [message] }
            return []  // a JSON object that says nothing, e.g. {"errors": null}
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? [] : [text]
    }

    /// `Retry-After` as seconds or as an HTTP date.
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        HTTPExchange.retryAfter(headers, now: now)
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
    }

}
