import Foundation
import Postgres
import TallyQueue

/// One delivery of an alert to a destination (`alert_deliveries`, sql/019):
/// its idempotency key, whether a send is under way, whether it arrived;
/// and the destination's health, which the dashboard shows.
enum AlertDeliveries {
    struct State {
        var idempotencyKey: String
        /// A send began and never recorded its outcome (its worker stopped, or no answer came).
        var sentAt: Date?
        var deliveredAt: Date?
    }

    /// The delivery's row, created on first use with a new idempotency key.
    static func begin(destinationID: Int64, runID: Int64, alert: String, on connection: Connection) async throws -> State {
        // DO UPDATE (of nothing) returns the row that exists, also one a concurrent attempt just made.
        let row = try await connection.query("""
            INSERT INTO alert_deliveries AS d (destination_id, run_id, alert, idempotency_key)
            VALUES (\(destinationID), \(runID), \(alert), gen_random_uuid()::text)
            ON CONFLICT (destination_id, run_id, alert) DO UPDATE SET idempotency_key = d.idempotency_key
            RETURNING idempotency_key, sent_at, delivered_at
            """, name: "begin alert delivery")[0]
        return State(idempotencyKey: try row.decode("idempotency_key"), sentAt: try row.decode("sent_at"), deliveredAt: try row.decode("delivered_at"))
    }

    /// Marks a send as under way, while the job still holds its lease.
    static func markSending(destinationID: Int64, runID: Int64, alert: String, job: ClaimedJob, worker: UUID, on connection: Connection) async throws {
        let marked = try await connection.execute("""
            UPDATE alert_deliveries SET sent_at = now()
            WHERE destination_id = \(destinationID) AND run_id = \(runID) AND alert = \(alert) AND delivered_at IS NULL
              AND \(fragment: JobQueue.leaseCondition(job, worker: worker))
            """, name: "mark alert sending")
        guard marked == 1 else { throw JobFailure.transient("the job's lease ran out before it could send the alert; it will run again") }
    }

    /// Records how a send went: delivered, refused or not sent (`sent_at` cleared),
    /// or without an answer (`sent_at` kept: the destination may have it).
    static func record(destinationID: Int64, runID: Int64, alert: String, result: AlertSender.Result, on connection: Connection) async throws {
        guard let delivered = result.delivered else {
            return try await recordUnknown(destinationID: destinationID, runID: runID, alert: alert, outcome: result.outcome, on: connection)
        }
        try await record(destinationID: destinationID, runID: runID, alert: alert, delivered: delivered, outcome: result.outcome, on: connection)
    }

    /// The destination answered: delivered (2xx), or refused (`sent` cleared: it was not delivered).
    private static func record(
        destinationID: Int64, runID: Int64, alert: String, delivered: Bool, outcome: String, on connection: Connection
    ) async throws {
        try await connection.execute("""
            WITH delivery AS (
                UPDATE alert_deliveries
                SET delivered_at = CASE WHEN \(delivered) THEN now() END,
                    sent_at = CASE WHEN \(delivered) THEN sent_at END, outcome = \(outcome)
                WHERE destination_id = \(destinationID) AND run_id = \(runID) AND alert = \(alert)
            )
            UPDATE notify_destinations
            SET last_delivered_at = CASE WHEN \(delivered) THEN now() ELSE last_delivered_at END,
                failing_since = CASE WHEN \(delivered) THEN NULL ELSE coalesce(failing_since, now()) END,
                failures = CASE WHEN \(delivered) THEN 0 ELSE failures + 1 END,
                last_error = CASE WHEN \(delivered) THEN last_error ELSE \(outcome) END
            WHERE destination_id = \(destinationID)
            """, name: "record alert delivery")
    }

    /// No answer came (a time-out or a lost connection): the destination may have
    /// the message. `sent_at` stays set, and the destination counts a failure.
    private static func recordUnknown(destinationID: Int64, runID: Int64, alert: String, outcome: String, on connection: Connection) async throws {
        try await connection.execute("""
            WITH delivery AS (
                UPDATE alert_deliveries SET outcome = \(outcome)
                WHERE destination_id = \(destinationID) AND run_id = \(runID) AND alert = \(alert)
            )
            UPDATE notify_destinations
            SET failing_since = coalesce(failing_since, now()), failures = failures + 1, last_error = \(outcome)
            WHERE destination_id = \(destinationID)
            """, name: "record alert without answer")
    }
}
