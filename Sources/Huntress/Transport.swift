import AsyncHTTPClient
import HTTPExchange
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An answer read in full.
typealias RawAnswer = HTTPAnswer

/// One GET to send: where, and what to call it in records and errors.
struct HuntressCall: Sendable {
    /// Below the base URL, without the query (`organizations/42`).
    var path: String
    /// `path` with ids replaced (`organizations/{id}`).
    var endpoint: String
    var query: [URLQueryItem] = []

    var summary: String { "GET \(path)" }
}

extension HuntressClient {
    /// Waits for `beforeRequest`, sends one request and reads the whole answer within
    /// the request time-out. Throws only transport failures (time-out, connection) and
    /// what `beforeRequest` throws; HTTP errors come back as a `RawAnswer`.
    func transmit(_ call: HuntressCall, credentials: HuntressCredentials) async throws -> RawAnswer {
        var components = URLComponents(url: URL(string: call.path, relativeTo: baseURL)!.absoluteURL, resolvingAgainstBaseURL: false)!
        if !call.query.isEmpty {
            // Strictly encoded: URLComponents leaves `+` as is, which servers read as a space.
            components.percentEncodedQueryItems = call.query.map {
                URLQueryItem(name: $0.name, value: $0.value?.addingPercentEncoding(withAllowedCharacters: Self.unreserved))
            }
        }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Authorization", value: credentials.authorization)

        if let beforeRequest = configuration.beforeRequest { try await beforeRequest(credentials.publicKey) }
        let clock = ContinuousClock()
        let started = clock.now
        let result = await HTTPExchange.send(request, with: http, timeout: configuration.requestTimeout).mapError { failure -> any Error in
            guard failure != .cancelled else { return CancellationError() }
            return HuntressError(reason: failure.isTimeout ? .timeout : .transport, message: failure.sentence(calling: "Huntress"), request: call.summary)
        }
        let status = try? result.get().status
        logger.debug("huntress request", metadata: ["path": "\(call.path)", "status": "\(status.map(String.init) ?? "none")"])
        if let onRequest = configuration.onRequest {
            await onRequest(HuntressRequestRecord(
                keyID: credentials.publicKey, path: call.path, endpoint: call.endpoint, status: status, duration: clock.now - started))
        }
        return try result.get()
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

}
