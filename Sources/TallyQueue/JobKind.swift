public import Foundation
public import Logging
public import Postgres

/// A kind of job: a Swift type with a handler, registered with the worker
/// under `name` (the `kind` column). Its arguments are stored as a JSON
/// object; what it reports (`JobContext.report`) is stored with its end.
public protocol JobKind: Sendable {
    associatedtype Arguments: Codable & Sendable
    associatedtype Report: Codable & Sendable = NoReport
    static var name: String { get }
    func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome
}

extension JobKind {
    /// Records the job's report (see `JobContext.report`).
    public func report(_ value: Report, in context: JobContext) {
        context.report(value)
    }
}

/// The report of a kind that reports nothing.
public struct NoReport: Codable, Sendable {}

/// How a handler that returned normally ended its job.
public enum JobOutcome: Sendable, Equatable {
    case succeeded
    /// Succeeded, with a note the job keeps (e.g. how a write was confirmed).
    case noted(String)
    /// Nothing to do, with the reason (e.g. the organization is not mapped).
    case skipped(String)
    /// Deliberately not done until a person approves it (guard rails).
    case held(String)
}

/// Thrown by a handler to say how its failure should be treated. Any other
/// error is transient: the job retries with back-off until its attempts run out.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public enum Disposition: Sendable, Equatable {
        /// Retrying cannot help: fail now.
        case permanent
        /// Retry later; after `retryAfter` when the other side said so.
        case transient(retryAfter: Duration?)
        /// Not a failure: run again at `until` without using an attempt (e.g. budget spent).
        case deferred(until: Date)
    }

    public var disposition: Disposition
    public var message: String

    public init(_ disposition: Disposition, _ message: String) {
        self.disposition = disposition
        self.message = message
    }

    public static func permanent(_ message: String) -> JobFailure { JobFailure(.permanent, message) }
    public static func transient(_ message: String, retryAfter: Duration? = nil) -> JobFailure {
        JobFailure(.transient(retryAfter: retryAfter), message)
    }
    public static func deferred(until: Date, _ reason: String) -> JobFailure { JobFailure(.deferred(until: until), reason) }

    public var description: String { message }
}

/// What a running handler knows about its job and the cluster.
public struct JobContext: Sendable {
    public let job: ClaimedJob
    /// Every job of the batch this job was claimed in (this one included), so
    /// that a kind can read what all of them need in one go (see `memo`).
    public let batch: [ClaimedJob]
    /// Values computed once per batch and shared by its jobs.
    public let memo: BatchMemo
    public let workerID: UUID
    public let database: ConnectionPool
    public let logger: Logger
    let cancellation: CancellationFlag
    let reportBox: ReportBox

    /// Records what the job found and did (an object), stored with the job's
    /// end in `jobs.report`; kinds may derive result rows from it. The last
    /// report before the handler returns or throws wins. Kinds call
    /// `JobKind.report(_:in:)`, which takes only their declared `Report`.
    func report(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        reportBox.set((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) })
    }

    /// The arguments of the batch's jobs of `Kind` (this one included), in
    /// batch order; malformed ones are left out (their own run fails them).
    public func batchArguments<Kind: JobKind>(of kind: Kind.Type) -> [Kind.Arguments] {
        batch.filter { $0.kind == Kind.name }.compactMap { try? JobQueue.decode(Kind.self, arguments: $0.arguments) }
    }

    /// A point where the job may stop: throws `CancellationError` when an
    /// operator cancelled it or the worker is past its shutdown grace.
    public func checkpoint() throws {
        if cancellation.isSet { throw CancellationError() }
        try Task.checkCancellation()
    }
}
