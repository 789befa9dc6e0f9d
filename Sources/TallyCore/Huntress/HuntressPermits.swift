public import Postgres

/// Huntress allows 60 requests a minute per key. Every worker of the cluster
/// takes a permit from PostgreSQL (`tally_huntress_permit`, sql/010) before
/// each request and waits when the key's minute is full, so the cluster as a
/// whole stays under the limit and rarely meets a 429.
public struct HuntressPermits: Sendable {
    public struct Limit: Sendable, Equatable {
        public var requests: Int
        public var window: Duration

        public init(requests: Int, window: Duration) {
            self.requests = requests
            self.window = window
        }

        /// Huntress's 60 a minute, with a second to spare for the two clocks.
        public static let huntress = Limit(requests: 60, window: .seconds(61))
    }

    let pool: ConnectionPool
    let limit: Limit

    public init(pool: ConnectionPool, limit: Limit = .huntress) {
        self.pool = pool
        self.limit = limit
    }

    /// Returns once a request with `publicKey` may be sent.
    public func take(publicKey: String) async throws {
        let digest = HuntressKey.digest(publicKey: publicKey)
        while true {
            let wait = try await pool.withConnection { connection in
                try await connection.query("""
                    SELECT tally_huntress_permit(\(digest), \(limit.requests), \(limit.window.seconds)) AS wait
                    """, name: "huntress permit")[0].decode("wait", as: Double.self)
            }
            guard wait > 0 else { return }
            try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }
}
