import Foundation
import Postgres

/// A diagnostic job kind built into every worker: does nothing, or what its
/// arguments ask (wait, fail, record when it ran). (A job that crashes its
/// worker is `CrashKind`, in test and benchmark builds only.) Tests,
/// benchmarks and operators use it to exercise the queue without Autotask.
public struct NoopKind: JobKind {
    public static let name = "noop"

    public struct Arguments: Codable, Sendable {
        /// Wait this long, checking for cancellation every 10 ms.
        public var sleepMilliseconds: Int?
        /// "transient" or "permanent": fail that way.
        public var fail: String?
        /// Succeed only from this attempt on (fails transiently before).
        public var succeedOnAttempt: Int?
        /// Ask for a retry after this long (with `fail: "transient"`).
        public var retryAfterMilliseconds: Int?
        /// Insert a row in `noop_runs` when it starts and stamp it when it ends.
        public var record: Bool?
        /// The failure's text instead of noop's own (as a foreign service's answer would be).
        public var failText: String?

        public init(sleepMilliseconds: Int? = nil, fail: String? = nil, succeedOnAttempt: Int? = nil,
                    retryAfterMilliseconds: Int? = nil, record: Bool? = nil) {
            self.sleepMilliseconds = sleepMilliseconds
            self.fail = fail
            self.succeedOnAttempt = succeedOnAttempt
            self.retryAfterMilliseconds = retryAfterMilliseconds
            self.record = record
        }

        enum CodingKeys: String, CodingKey {
            case sleepMilliseconds = "sleep_ms", fail, succeedOnAttempt = "succeed_on_attempt"
            case retryAfterMilliseconds = "retry_after_ms", record, failText = "fail_text"
        }
    }

    public init() {}

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome {
        let job = context.job
        if arguments.record == true {
            try await context.database.withConnection { connection in
                try await connection.execute("""
                    INSERT INTO noop_runs (tenant_id, job_id, attempt, worker_id, started_at)
                    VALUES (\(job.tenantID), \(job.jobID), \(job.attempts), \(context.workerID), clock_timestamp())
                    """, name: "record noop start")
            }
        }
        if let milliseconds = arguments.sleepMilliseconds {
            let end = ContinuousClock.now + .milliseconds(milliseconds)
            while ContinuousClock.now < end {
                try context.checkpoint()
                try await Task.sleep(for: min(.milliseconds(10), end - ContinuousClock.now))
            }
        }
        if arguments.record == true {
            try await context.database.withConnection { connection in
                try await connection.execute("""
                    UPDATE noop_runs SET ended_at = clock_timestamp()
                    WHERE tenant_id = \(job.tenantID) AND job_id = \(job.jobID) AND attempt = \(job.attempts)
                      AND worker_id = \(context.workerID)
                    """, name: "record noop end")
            }
        }
        let retryAfter = arguments.retryAfterMilliseconds.map { Duration.milliseconds($0) }
        if let first = arguments.succeedOnAttempt, job.attempts < first {
            throw JobFailure.transient("noop fails until attempt \(first)", retryAfter: retryAfter)
        }
        switch arguments.fail {
        case "permanent":
            throw JobFailure.permanent(arguments.failText ?? "noop was asked to fail permanently")
        case "transient":
            throw JobFailure.transient(arguments.failText ?? "noop was asked to fail transiently", retryAfter: retryAfter)
        default:
            return .succeeded
        }
    }
}
