public import Autotask
public import Postgres

/// What syncing needs from its process: the database, one Autotask client
/// (its zone cache and per-endpoint limits are shared by all tasks), the key
/// that opens tenants' secrets, the request meter, and the locks that keep
/// two writes to one contract service apart.
public struct SyncServices: Sendable {
    public let pool: ConnectionPool
    public let autotask: AutotaskClient
    public let secretKey: SecretKey
    public let meter: RequestMeter
    public let locks: ContractServiceLocks
    /// How long after an unanswered post a re-read can trust that it will not land:
    /// the client's request timeout plus a margin of as long again.
    public let unansweredWriteSettles: Duration

    public init(pool: ConnectionPool, autotask: AutotaskClient, secretKey: SecretKey, meter: RequestMeter) {
        self.pool = pool
        self.autotask = autotask
        self.unansweredWriteSettles = autotask.configuration.requestTimeout * 2
        self.secretKey = secretKey
        self.meter = meter
        self.locks = ContractServiceLocks(configuration: pool.configuration)
    }
}
