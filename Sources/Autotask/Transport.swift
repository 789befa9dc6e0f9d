import AsyncHTTPClient
import HTTPExchange
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An answer read in full.
typealias RawResponse = HTTPAnswer

/// A request to send: where, and what to say about it in records and errors.
struct Call: Sendable {
    var method: HTTPMethod
    /// The API user the call is for (also for the zone lookup, which sends no credentials).
    var userName: String
    /// The credentials' `account`.
    var account: String
    /// Object endpoint, for the limiter, the record and error texts.
    var entity: String
    var url: URL
    var body: Data?
    var ids: [Int]

    var summary: AutotaskError.RequestSummary {
        AutotaskError.RequestSummary(method: method.rawValue, entity: entity, ids: ids)
    }
}

extension AutotaskClient {
    /// Sends one HTTP request and reads the whole answer within the request time-out.
    /// Throws only transport failures (time-out, connection); HTTP errors come back as
    /// a `RawResponse`.
    func transmit(_ call: Call, credentials: AutotaskCredentials?) async throws -> RawResponse {
        var request = HTTPClientRequest(url: call.url.absoluteString)
        request.method = call.method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/json")
        if let credentials {
            request.headers.add(name: "ApiIntegrationCode", value: credentials.integrationCode)
            request.headers.add(name: "UserName", value: credentials.userName)
            request.headers.add(name: "Secret", value: credentials.secret)
        }
        if let body = call.body { request.body = .bytes(ByteBuffer(bytes: body)) }

        let clock = ContinuousClock()
        let started = clock.now
        let result = await HTTPExchange.send(request, with: http, timeout: configuration.requestTimeout).mapError { failure -> any Error in
            guard failure != .cancelled else { return CancellationError() }
            return AutotaskError(reason: failure.isTimeout ? .timeout : .transport, message: failure.sentence(calling: "Autotask"), request: call.summary)
        }
        let status = try? result.get().status
        logger.debug(
            "autotask request",
            metadata: ["method": "\(call.method.rawValue)", "entity": "\(call.entity)", "status": "\(status.map(String.init) ?? "none")"])
        if let onRequest = configuration.onRequest {
            await onRequest(AutotaskRequestRecord(
                userName: call.userName, account: call.account, entity: call.entity, method: call.method.rawValue,
                status: status, duration: clock.now - started))
        }
        return try result.get()
    }

}

