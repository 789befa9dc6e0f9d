public import AsyncHTTPClient
import Foundation
public import Postgres
public import TallyQueue

/// The `notify` job: delivers one alert of a run to one destination
/// (`AlertSweep` enqueues it). Retried with back-off while the destination
/// refuses or cannot be reached; a failing destination is counted on the
/// dashboard and never holds up syncs. Delivered at most once: a send whose
/// outcome is unknown (its worker died, or no answer came) is repeated only
/// to a generic webhook, which deduplicates by the `Idempotency-Key` it gets.
public struct NotifyKind: JobKind {
    public static let name = "notify"

    public struct Arguments: RowArguments, Hashable {
        public typealias Column = CodingKeys
        public var destinationID: Int64
        public var run: Int64
        public var alert: String

        public init(destinationID: Int64, run: Int64, alert: String) {
            self.destinationID = destinationID
            self.run = run
            self.alert = alert
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case destinationID = "destination_id", run, alert
        }
    }

    let pool: ConnectionPool
    let secretKey: SecretKey
    let sender: AlertSender

    public init(pool: ConnectionPool, secretKey: SecretKey, http: HTTPClient) {
        self.pool = pool
        self.secretKey = secretKey
        self.sender = AlertSender(http: http)
    }

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome {
        let tenantID = context.job.tenantID
        let (loaded, content) = try await pool.withConnection { connection in
            (try await NotifyDestinations.load(tenantID: tenantID, destinationID: arguments.destinationID, key: secretKey, on: connection),
             try await AlertContent.load(tenantID: tenantID, runID: arguments.run, alert: arguments.alert, on: connection))
        }
        guard let (destination, secret) = loaded else { return .skipped("the destination was removed") }
        guard let content else { return .skipped("run \(arguments.run) no longer exists") }
        let delivery = try await pool.withConnection {
            try await AlertDeliveries.begin(destinationID: arguments.destinationID, runID: arguments.run, alert: arguments.alert, on: $0)
        }
        if delivery.deliveredAt != nil { return .noted("already delivered to \(destination.name)") }
        if let sent = delivery.sentAt, destination.kind != .webhook {
            return .noted("a send to \(destination.name) at \(sent.formatted(.iso8601)) got no answer; \(destination.kind.rawValue) cannot tell a repeat, so it is not sent again")
        }
        let ids = (destinationID: arguments.destinationID, run: arguments.run, alert: arguments.alert)
        try await pool.withConnection {
            try await AlertDeliveries.markSending(
                destinationID: ids.destinationID, runID: ids.run, alert: ids.alert, job: context.job, worker: context.workerID, on: $0)
        }
        let result = await sender.send(content, to: destination, secret: secret, idempotencyKey: delivery.idempotencyKey)
        try await pool.withConnection { connection in
            try await AlertDeliveries.record(destinationID: ids.destinationID, runID: ids.run, alert: ids.alert, result: result, on: connection)
        }
        switch result {
        case .delivered:
            return .succeeded
        case .refused(let status, _, let retryAfter):
            let message = "\(destination.name) (\(destination.kind.rawValue), \(destination.host)) refused the alert: \(result.outcome)"
            // 4xx other than 408 and 429: the URL is wrong or revoked; retrying cannot help.
            if (400..<500).contains(status) && status != 408 && status != 429 {
                throw JobFailure.permanent(message + "; check the destination's URL, then add it again with `tally notify add`")
            }
            throw JobFailure.transient(message, retryAfter: retryAfter)
        case .unreachable(let what), .unknown(let what):
            throw JobFailure.transient("\(destination.name): \(what)")
        }
    }
}
