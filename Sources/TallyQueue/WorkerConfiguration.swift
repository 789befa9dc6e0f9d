/// How a worker process runs.
public struct WorkerConfiguration: Sendable {
    /// Tasks that each hold one batch of one tenant's jobs at a time.
    public var concurrency = 4
    /// Jobs of one tenant claimed together (the sync reads their Autotask data together).
    public var batchSize = 10
    /// Claims and end writes this process sends at the same time; the
    /// others wait their turn in the process (`StatementGate`).
    public var queueStatementConcurrency = 1
    /// How long a claim holds without renewal; renewed every third of it.
    public var lease: Duration = .seconds(30)
    /// Idle tasks claim at least this often, in case a notification was lost.
    public var pollInterval: Duration = .seconds(1)
    /// A job quicker than this has its end written with the next ones, at
    /// most this much later: a batch of quick jobs ends in a few statements.
    public var finishDelay: Duration = .milliseconds(20)
    /// After SIGTERM, how long in-flight jobs may take before they are handed back.
    public var shutdownGrace: Duration = .seconds(25)
    /// The kinds to claim; nil = every registered kind.
    public var kinds: [String]?
    /// Finished jobs are deleted after this long (results are kept).
    public var retention: Duration = .seconds(7 * 24 * 3600)
    public var retryPolicy = RetryPolicy()
    public var version = "dev"

    public init() {}
}
