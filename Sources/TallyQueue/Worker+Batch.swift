import Foundation
import Logging
import Postgres

extension Worker {
    /// Runs a claimed batch of one tenant's jobs one after another, writes
    /// their ends (`BatchEnds`), then frees the slot with the last write.
    /// The jobs run in one task (a task a job cost the worker more than a
    /// no-op job's whole run); a cancel ends that task, and the jobs after
    /// the cancelled one go on in a new task.
    func work(_ batch: [ClaimedJob]) async {
        guard let first = batch.first else { return }
        let memo = BatchMemo()
        let ends = BatchEnds(delay: configuration.finishDelay) { ended, releasingSlot in
            await self.write(ended, releasing: releasingSlot ? first.slot : nil, tenantID: first.tenantID)
        }
        var next = 0
        while next < batch.count {
            let runner = BatchRunner()
            inFlight.add(runner)
            let start = next
            let task = Task { await self.run(batch, from: start, memo: memo, ends: ends, runner: runner) }
            runner.attach(task)
            next = await task.value
            inFlight.remove(runner)
        }
        await ends.flush(releasingSlot: true)
    }

    /// Runs the batch's jobs from `start` on, in the current task, until the
    /// task is cancelled; answers the index of the first job not run.
    private func run(_ batch: [ClaimedJob], from start: Int, memo: BatchMemo, ends: BatchEnds, runner: BatchRunner) async -> Int {
        for index in start..<batch.count {
            let job = batch[index]
            if isStopping {
                for unstarted in batch[index...] {
                    await ends.add(EndedJob(unstarted, .handedBack), ranFor: .zero)
                    metrics.ended(unstarted.kind, .handedBack)
                }
                return batch.count
            }
            let startedAt = Date()
            let started = ContinuousClock.now
            let end: JobEnd, report: String?
            if inFlight.isCancelRequested(job.key) {
                (end, report) = (.finished(.cancelled, message: "cancelled by an operator"), nil)
            } else {
                let flag = CancellationFlag()
                guard runner.begin(job.key, flag: flag) else { return index }
                (end, report) = await execute(job, batch: batch, memo: memo, flag: flag)
                runner.end()
            }
            inFlight.ended(job.key)
            metrics.ended(job.kind, end)
            await ends.add(EndedJob(job, end, report: report, startedAt: startedAt), ranFor: ContinuousClock.now - started)
        }
        return batch.count
    }

    /// Writes jobs' ends (and frees the slot when `slot` is given), reliably.
    private func write(_ ended: [EndedJob], releasing slot: Int?, tenantID: Int64) async {
        let written = await queueStatements.withPermit {
            await reliably("finish jobs") { connection -> Set<JobKey> in
                if ended.isEmpty, let slot {
                    try await JobQueue.releaseSlot(tenantID: tenantID, slot: slot, worker: self.id, on: connection)
                    return []
                }
                return try await JobQueue.finish(ended, worker: self.id, releasing: slot, on: connection)
            }
        }
        guard let written else { return }
        for one in ended {
            guard written.contains(one.job.key) else {
                logger.warning("lost the job before finishing it (its lease ran out); it will run again",
                               metadata: ["tenant": "\(one.job.tenantID)", "job": "\(one.job.jobID)"])
                continue
            }
            // What the database acknowledged: the fail-over tests count a job acknowledged twice as one run again.
            logger.debug("job end written", metadata: [
                "tenant": "\(one.job.tenantID)", "job": "\(one.job.jobID)", "attempt": "\(one.job.attempts)", "end": "\(one.end.label)",
            ])
        }
    }

    /// Runs one job's handler and says how the job ends, with the handler's report.
    func execute(_ job: ClaimedJob, batch: [ClaimedJob], memo: BatchMemo, flag: CancellationFlag) async -> (JobEnd, report: String?) {
        let jobLogger = logger.naming(job)
        guard let handler = registry.handler(for: job.kind) else {
            return (.finished(.failed, message: "this worker has no handler for job kind \(job.kind)"), nil)
        }
        let report = ReportBox()
        let context = JobContext(
            job: job, batch: batch, memo: memo, workerID: id, database: pool, logger: jobLogger, cancellation: flag,
            reportBox: report)
        let result: Result<JobOutcome, any Error>
        do {
            result = .success(try await JobLogContext.$metadata.withValue(jobLogger.handler.metadata) { try await handler(job, context) })
        } catch {
            result = .failure(error)
        }
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

extension Logger {
    /// This logger with the job's tenant, job, run and kind in its metadata,
    /// set at once: a log handler may redo its work (render the metadata) on every change.
    func naming(_ job: ClaimedJob) -> Logger {
        var metadata = handler.metadata
        metadata["tenant"] = "\(job.tenantID)"
        metadata["job"] = "\(job.jobID)"
        if let runID = job.runID { metadata["run"] = "\(runID)" }
        metadata["kind"] = "\(job.kind)"
        var named = self
        named.handler.metadata = metadata
        return named
    }
}
