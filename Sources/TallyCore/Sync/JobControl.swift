public import Postgres
public import TallyQueue

/// `tally jobs retry|cancel`: an operator's hand on one job.
public enum JobControl {
    /// Queues a failed, cancelled or held job again with fresh attempts; false when it is in none of those states.
    public static func retry(tenantID: Int64, jobID: Int64, on connection: Connection) async throws -> Bool {
        try await JobQueue.retry(tenantID: tenantID, jobID: jobID, on: connection)
    }

    public static func cancel(tenantID: Int64, jobID: Int64, on connection: Connection) async throws -> JobQueue.CancelOutcome {
        try await JobQueue.cancel(tenantID: tenantID, jobID: jobID, on: connection)
    }
}
