import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An answer read in full.
struct RawResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
}

/// A request to send: where, and what to say about it in records and errors.
struct Call: Sendable {
    var method: HTTPMethod
    /// The API user the call is for (also for the zone lookup, which sends no credentials).
    var userName: String
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
        let result: Result<RawResponse, any Error>
        do {
            let deadline = NIODeadline.now() + TimeAmount(configuration.requestTimeout)
            let response = try await http.execute(request, deadline: deadline, logger: nil)
            let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
            result = .success(RawResponse(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView)))
        } catch let error as HTTPClientError where error == .cancelled {
            result = .failure(CancellationError())
        } catch let error as HTTPClientError {
            result = .failure(Self.transportError(error, call: call))
        } catch is CancellationError {
            result = .failure(CancellationError())
        } catch {
            result = .failure(AutotaskError(
                reason: .transport, message: "Could not reach Autotask (\(type(of: error))); the call will be retried.",
                request: call.summary))
        }
        let status = try? result.get().status
        logger.debug(
            "autotask request",
            metadata: ["method": "\(call.method.rawValue)", "entity": "\(call.entity)", "status": "\(status.map(String.init) ?? "none")"])
        if let onRequest = configuration.onRequest {
            await onRequest(AutotaskRequestRecord(
                userName: call.userName, entity: call.entity, method: call.method.rawValue,
                status: status, duration: clock.now - started))
        }
        return try result.get()
    }

    private static func transportError(_ error: HTTPClientError, call: Call) -> AutotaskError {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout:
            AutotaskError(reason: .timeout, message: "Autotask did not answer in time; the call will be retried.", request: call.summary)
        case .connectTimeout:
            AutotaskError(reason: .timeout, message: "Could not connect to Autotask in time; the call will be retried.", request: call.summary)
        default:
            AutotaskError(reason: .transport, message: "Could not reach Autotask (\(error)); the call will be retried.", request: call.summary)
        }
    }
}

