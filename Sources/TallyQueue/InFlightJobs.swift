import NIOConcurrencyHelpers

/// The handler tasks running in this worker, so that an operator's cancel
/// or the shutdown deadline can reach them, and the cancel requests seen
/// for jobs still waiting in a batch.
final class InFlightJobs: Sendable {
    private struct Running {
        let flag: CancellationFlag
        let task: Task<JobOutcome, any Error>
    }

    private let running = NIOLockedValueBox<[JobKey: Running]>([:])
    private let cancelRequested = NIOLockedValueBox<Set<JobKey>>([])

    func add(_ key: JobKey, flag: CancellationFlag, task: Task<JobOutcome, any Error>) {
        running.withLockedValue { $0[key] = Running(flag: flag, task: task) }
    }

    func remove(_ key: JobKey) {
        running.withLockedValue { _ = $0.removeValue(forKey: key) }
        cancelRequested.withLockedValue { _ = $0.remove(key) }
    }

    /// An operator asked these jobs to stop: running ones are cancelled now,
    /// waiting ones when their turn comes.
    func requestCancel(_ keys: Set<JobKey>) {
        guard !keys.isEmpty else { return }
        cancelRequested.withLockedValue { $0.formUnion(keys) }
        let targets = running.withLockedValue { running in keys.compactMap { running[$0] } }
        for target in targets {
            target.flag.set()
            target.task.cancel()
        }
    }

    func isCancelRequested(_ key: JobKey) -> Bool {
        cancelRequested.withLockedValue { $0.contains(key) }
    }

    func cancelAll() {
        for target in running.withLockedValue({ Array($0.values) }) { target.task.cancel() }
    }
}
