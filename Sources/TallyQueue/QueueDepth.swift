public import Postgres

/// The cluster's queue depth for the `tally_queue_jobs` gauge: jobs queued
/// (ready or not yet due), running, and held for approval. Every worker and
/// scheduler samples it every 5 s: queued jobs come from the maintained
/// `queued_job_counts` (sql/008; a million queued jobs are a few thousand
/// rows there, not a million index entries), running and held ones, always
/// few, from their partial indexes.
public enum QueueDepth {
    public static let states = ["queued", "running", "held"]

    public static let statement = """
        SELECT (SELECT coalesce(sum(queued), 0) FROM queued_job_counts)::int AS queued,
               (SELECT count(*) FROM jobs WHERE state = 'running')::int AS running,
               (SELECT count(*) FROM jobs WHERE state = 'held')::int AS held
        """

    public static func sample(on connection: Connection) async throws -> [String: Int] {
        let row = try await connection.query(SQL(statement, parameters: []), name: "queue depth", prepared: true)[0]
        var counts: [String: Int] = [:]
        for state in states {
            counts[state] = try row.decode(state, as: Int.self)
        }
        return counts
    }
}
