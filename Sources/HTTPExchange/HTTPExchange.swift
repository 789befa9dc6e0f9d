public import AsyncHTTPClient
public import Foundation
public import NIOHTTP1
import NIOCore

/// An HTTP answer read in full.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders, body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why no answer came; each API client words it for its own errors.
public enum HTTPFailure: Error, Sendable, Equatable {
    case cancelled
    /// `connecting`: no connection in time; else no (whole) answer in time.
    case timedOut(connecting: Bool)
    /// The connection failed, with what the HTTP client said.
    case unreachable(String)

    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }

    /// What happened, for an error text about calling `service`.
    public func sentence(calling service: String) -> String {
        switch self {
        case .cancelled: "The call to \(service) was cancelled."
        case .timedOut(connecting: true): "Could not connect to \(service) in time; the call will be retried."
        case .timedOut(connecting: false): "\(service) did not answer in time; the call will be retried."
        case .unreachable(let what): "Could not reach \(service) (\(what)); the call will be retried."
        }
    }
}

/// What the Autotask and Huntress clients share of HTTP: a client that
/// never follows redirects, one exchange within a time limit, and reading
/// `Retry-After`.
public enum HTTPExchange {
    /// A client for an API whose requests carry credentials: it never follows
    /// a redirect, which would carry them to another host.
    public static func makeClient(connectTimeout: Duration, connectionsPerHost: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: TimeAmount(connectTimeout)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends `request` and reads the whole answer (at most 64 MiB) within `timeout`.
    /// HTTP errors are answers; only the lack of one is a failure.
    public static func send(_ request: HTTPClientRequest, with http: HTTPClient, timeout: Duration) async -> Result<HTTPAnswer, HTTPFailure> {
        do {
            let response = try await http.execute(request, deadline: .now() + TimeAmount(timeout), logger: nil)
            let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return .success(HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView)))
        } catch let error as HTTPClientError {
            switch error {
            case .cancelled: return .failure(.cancelled)
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .failure(.timedOut(connecting: false))
            case .connectTimeout: return .failure(.timedOut(connecting: true))
            default: return .failure(.unreachable("\(error)"))
            }
        } catch is CancellationError {
            return .failure(.cancelled)
        } catch {
            return .failure(.unreachable("\(type(of: error))"))
        }
    }

    /// `Retry-After` as seconds or as an HTTP date; nil when absent or unreadable.
    public static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) {
            guard !seconds.isNaN, seconds >= 0 else { return nil }
            return clamped(seconds)
        }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = format.date(from: value) else { return nil }
        return clamped(date.timeIntervalSince(now))
    }

    /// The longest wait a `Retry-After` may ask for: an hour (Autotask's hourly window).
    public static let longestRetryAfter: Double = 3_600

    /// A wait from 0 to `longestRetryAfter` seconds: `inf`, `1e300` or a date a year away
    /// becomes an hour, never an overflow trap or a job parked for a year.
    static func clamped(_ seconds: Double) -> Duration {
        .milliseconds(Int64((min(max(seconds, 0), longestRetryAfter) * 1000).rounded()))
    }

    /// Where a JSON answer did not decode, for an error text (no values from the answer).
    /// What a decoder could not read, in at most 300 printable characters: its
    /// text quotes the answer's values, which may hold anything.
    public static func describe(decodingError error: any Error) -> String {
        let text = rawDescription(decodingError: error)
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        return printable.count <= 300 ? printable : String(printable.prefix(297)) + "..."
    }

    private static func rawDescription(decodingError error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "missing \(key.stringValue) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            "bad value at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default:
            "\(type(of: error))"
        }
    }
}
