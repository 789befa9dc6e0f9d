public import Postgres

/// The cluster's queue depth for the `tally_queue_jobs` gauge: jobs queued
/// (ready or not yet due), running, and held for approval. Each count has a
/// partial index of its own, so sampling stays cheap beside a million
/// finished jobs.
public enum QueueDepth {
    public static let states = ["queued", "running", "held"]

    public static func sample(on connection: Connection) async throws -> [String: Int] {
        let row = try await connection.query(
            """
            SELECT (SELECT count(*) FROM jobs WHERE state = 'queued')::int AS queued,
                   (SELECT count(*) FROM jobs WHERE state = 'running')::int AS running,
                   (SELECT count(*) FROM jobs WHERE state = 'held')::int AS held
            """, name: "queue depth", prepared: true)[0]
        var counts: [String: Int] = [:]
        for state in states {
            counts[state] = try row.decode(state, as: Int.self)
        }
        return counts
    }
}
