import Foundation
import HTTPExchange

/// The calls of one Huntress account (one key pair). Every call is a read, so each
/// is repeated inside the client after a 429 (waited out) or a 5xx / no answer
/// (backed off), up to the configured bounds.
public struct HuntressSession: Sendable {
    let client: HuntressClient
    public let credentials: HuntressCredentials

    /// Sends `call` until it succeeds, a permanent error occurs, or the retries are spent.
    func read(_ call: HuntressCall) async throws -> Data {
        let configuration = client.configuration
        var throttled = 0
        var failed = 0
        while true {
            let error: HuntressError
            do {
                let answer = try await client.transmit(call, credentials: credentials)
                if (200..<300).contains(answer.status) { return answer.body }
                error = StatusClassifier.classify(
                    status: answer.status, headers: answer.headers, body: answer.body, request: call.summary, credentials: credentials)
            } catch let noAnswer as HuntressError where noAnswer.isTransient {
                error = noAnswer
            }
            if error.reason == .throttled && throttled < configuration.throttleRetries {
                throttled += 1
                try await Task.sleep(for: error.retryAfter ?? .seconds(60))
            } else if error.isTransient && error.reason != .throttled && failed < configuration.serverErrorRetries {
                failed += 1
                try await Task.sleep(for: backoff(after: failed))
            } else {
                throw error
            }
        }
    }

    private func backoff(after failures: Int) -> Duration {
        client.configuration.serverErrorBackoff * (1 << (failures - 1)) * Double.random(in: 0.5...1)
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data, call: HuntressCall) throws -> T {
        try Self.decodeAnswer(type, from: data, call: call)
    }

    /// An answer's JSON as `type`, or an `invalidResponse` error that says what could not be read.
    static func decodeAnswer<T: Decodable>(_ type: T.Type, from data: Data, call: HuntressCall) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw HuntressError(
                reason: .invalidResponse,
                message: "Huntress answered \(call.path) with JSON Tally cannot read (\(HTTPExchange.describe(decodingError: error))).",
                request: call.summary)
        }
    }

}
