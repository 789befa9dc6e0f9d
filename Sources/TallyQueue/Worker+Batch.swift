import Foundation
import Logging
import Postgres

extension Worker {
    /// Runs a claimed batch of one tenant's jobs one after another, then frees the slot.
    func work(_ batch: [ClaimedJob]) async {
        // The claim marked the first job started; each finish marks the next.
        var isMarkedStarted = true
        let memo = BatchMemo()
        for (index, job) in batch.enumerated() {
            if isStopping {
                await reliably("hand back jobs") { try await JobQueue.handBack(Array(batch[index...]), worker: self.id, on: $0) }
                for unstarted in batch[index...] { metrics.ended(unstarted.kind, .handedBack) }
                break
            }
            if !isMarkedStarted {
                let stillOurs = await reliably("mark job started") {
                    try await JobQueue.markStarted(job, worker: self.id, on: $0)
                }
                guard stillOurs == true else { continue }
            }
            // The claim returned the first job's attempts after counting this
            // one; the others were counted when they were marked started.
            let running = index == 0 ? job : job.withAttempts(job.attempts + 1)
            let (end, report) = inFlight.isCancelRequested(job.key)
                ? (.finished(.cancelled, message: "cancelled by an operator"), nil)
                : await execute(running, batch: batch, memo: memo)
            let next = index + 1 < batch.count && !isStopping ? batch[index + 1] : nil
            let outcome = await reliably("finish job") {
                try await JobQueue.finish(running, end, report: report, worker: self.id, startingNext: next, on: $0)
            }
            metrics.ended(job.kind, end)
            if outcome != true {
                logger.warning("lost the job before finishing it (its lease ran out); it will run again",
                               metadata: ["tenant": "\(job.tenantID)", "job": "\(job.jobID)"])
            }
            isMarkedStarted = outcome == true && next != nil
        }
        guard let first = batch.first else { return }
        await reliably("release slot") {
            try await JobQueue.releaseSlot(tenantID: first.tenantID, slot: first.slot, worker: self.id, on: $0)
        }
    }

    /// Runs one job's handler and says how the job ends, with the handler's report.
    func execute(_ job: ClaimedJob, batch: [ClaimedJob], memo: BatchMemo) async -> (JobEnd, report: String?) {
        var jobLogger = logger
        jobLogger[metadataKey: "tenant"] = "\(job.tenantID)"
        jobLogger[metadataKey: "job"] = "\(job.jobID)"
        if let runID = job.runID { jobLogger[metadataKey: "run"] = "\(runID)" }
        jobLogger[metadataKey: "kind"] = "\(job.kind)"
        guard let handler = registry.handler(for: job.kind) else {
            return (.finished(.failed, message: "this worker has no handler for job kind \(job.kind)"), nil)
        }
        let flag = CancellationFlag()
        let report = ReportBox()
        let context = JobContext(
            job: job, batch: batch, memo: memo, workerID: id, database: pool, logger: jobLogger, cancellation: flag,
            reportBox: report)
        let task = Task {
            try await JobLogContext.$metadata.withValue(jobLogger.handler.metadata) { try await handler(job, context) }
        }
        inFlight.add(job.key, flag: flag, task: task)
        let result = await task.result
        inFlight.remove(job.key)
        switch result {
        case .success(.succeeded):
            return (.finished(.succeeded, message: nil), report.value)
        case .success(.noted(let note)):
            return (.finished(.succeeded, message: ForeignText.bounded(note)), report.value)
        case .success(.skipped(let reason)):
            return (.finished(.skipped, message: ForeignText.bounded(reason)), report.value)
        case .success(.held(let reason)):
            return (.finished(.held, message: ForeignText.bounded(reason)), report.value)
        case .failure(let error):
            return (ending(for: error, job: job, cancelledByOperator: flag.isSet, logger: jobLogger), report.value)
        }
    }

    private func ending(for error: any Error, job: ClaimedJob, cancelledByOperator: Bool, logger: Logger) -> JobEnd {
        let deadlinePassed = lifecycle.withLockedValue { $0.deadlinePassed }
        if error is CancellationError {
            if cancelledByOperator { return .finished(.cancelled, message: "cancelled by an operator") }
            if deadlinePassed { return .handedBack }
        }
        let failure = error as? JobFailure ?? .transient(String(describing: error))
        let message = ForeignText.bounded(failure.message)
        switch failure.disposition {
        case .permanent:
            logger.info("job failed", metadata: ["reason": "\(message)"])
            return .finished(.failed, message: message)
        case .deferred(let until):
            return .deferred(until: until, reason: message)
        case .transient(let retryAfter):
            guard job.attempts < job.maxAttempts else {
                logger.info("job failed after its last attempt", metadata: ["reason": "\(message)"])
                return .finished(.failed, message: "\(message) (gave up after \(job.attempts) attempts)")
            }
            let delay = configuration.retryPolicy.delay(afterAttempt: job.attempts, retryAfter: retryAfter)
            logger.debug("job will retry", metadata: ["reason": "\(message)", "after": "\(delay)"])
            return .retry(after: delay, error: message)
        }
    }

    /// Runs a queue statement, retrying through database trouble (a restart,
    /// a fail-over) for up to one lease; after that the lease has run out and
    /// the queue will hand the work to another worker anyway. Nil: gave up.
    @discardableResult
    func reliably<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable (Connection) async throws -> Result
    ) async -> Result? {
        let deadline = ContinuousClock.now + configuration.lease
        var failures = 0
        while true {
            do {
                return try await pool.withConnection { try await body($0) }
            } catch {
                failures += 1
                guard ContinuousClock.now < deadline else {
                    logger.error("\(what) failed; giving up until the lease runs out", metadata: ["error": "\(error)"])
                    return nil
                }
                logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: Self.backoff(failures))
            }
        }
    }
}

extension ClaimedJob {
    func withAttempts(_ attempts: Int) -> ClaimedJob {
        ClaimedJob(tenantID: tenantID, jobID: jobID, kind: kind, uniqueKey: uniqueKey, runID: runID, priority: priority,
                   attempts: attempts, maxAttempts: maxAttempts, arguments: arguments, slot: slot)
    }
}
