import Autotask
import Metrics
public import TallyQueue

/// The metrics Tally records, through swift-metrics. A process that serves
/// `/metrics` bootstraps a Prometheus backend; elsewhere they go nowhere.
/// Labels are bounded: job kinds, outcomes, Autotask endpoints and status
/// classes; never a tenant, a job id or a secret.
public enum TallyMetrics {
    public static let jobsClaimed = "tally_jobs_claimed_total"
    public static let jobsEnded = "tally_jobs_ended_total"
    public static let claimDuration = "tally_claim_duration_seconds"
    public static let autotaskRequests = "tally_autotask_requests_total"
    public static let autotaskRequestDuration = "tally_autotask_request_duration_seconds"
    public static let budgetDeferrals = "tally_budget_deferrals_total"
    public static let queueJobs = "tally_queue_jobs"
    public static let schedulerRunsCreated = "tally_scheduler_runs_created_total"
    public static let schedulerTickFailures = "tally_scheduler_tick_failures_total"

    /// The worker's figures, for `Worker(metrics:)`.
    public static let queue = QueueMetrics(
        claimed: { claimed(kind: $0, count: $1) }, claimDuration: { recordClaim(duration: $0) }, ended: { ended(kind: $0, $1) })

    static func claimed(kind: String, count: Int) {
        Counter(label: jobsClaimed, dimensions: [("kind", kind)]).increment(by: count)
    }

    static func recordClaim(duration: Duration) {
        Timer(label: claimDuration).record(duration: duration)
    }

    static func ended(kind: String, _ end: JobEnd) {
        Counter(label: jobsEnded, dimensions: [("kind", kind), ("outcome", end.label)]).increment()
    }

    static func budgetDeferral() {
        Counter(label: budgetDeferrals).increment()
    }

    static func request(_ record: AutotaskRequestRecord) {
        let dimensions = [("endpoint", record.entity), ("method", record.method), ("outcome", outcome(status: record.status))]
        Counter(label: autotaskRequests, dimensions: dimensions).increment()
        Timer(label: autotaskRequestDuration, dimensions: [("endpoint", record.entity)])
            .record(duration: record.duration)
    }

    static func outcome(status: Int?) -> String {
        switch status {
        case nil: "no_answer"
        case 429: "throttled"
        case let status? where status < 400: "ok"
        case let status? where status < 500: "client_error"
        default: "server_error"
        }
    }

    static func queueDepth(state: String, jobs: Int) {
        Gauge(label: queueJobs, dimensions: [("state", state)]).record(jobs)
    }

    static func runsCreated(_ count: Int) {
        Counter(label: schedulerRunsCreated).increment(by: count)
    }

    static func tickFailed() {
        Counter(label: schedulerTickFailures).increment()
    }
}
