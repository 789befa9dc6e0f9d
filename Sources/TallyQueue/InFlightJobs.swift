import NIOConcurrencyHelpers

/// The batches running in this worker, each in a task of its own that runs
/// its jobs one after another, so that an operator's cancel or the shutdown
/// deadline can reach the job running now; and the cancel requests seen for
/// jobs still waiting in a batch.
final class InFlightJobs: Sendable {
    private let runners = NIOLockedValueBox<[ObjectIdentifier: BatchRunner]>([:])
    private let cancelRequested = NIOLockedValueBox<Set<JobKey>>([])

    func add(_ runner: BatchRunner) {
        runners.withLockedValue { $0[ObjectIdentifier(runner)] = runner }
    }

    func remove(_ runner: BatchRunner) {
        runners.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(runner)) }
    }

    /// The job is over: forget any cancel request for it.
    func ended(_ key: JobKey) {
        cancelRequested.withLockedValue { _ = $0.remove(key) }
    }

    /// An operator asked these jobs to stop: running ones are cancelled now,
    /// waiting ones when their turn comes.
    func requestCancel(_ keys: Set<JobKey>) {
        guard !keys.isEmpty else { return }
        cancelRequested.withLockedValue { $0.formUnion(keys) }
        for runner in runners.withLockedValue({ Array($0.values) }) { runner.cancel(ifRunningOneOf: keys) }
    }

    func isCancelRequested(_ key: JobKey) -> Bool {
        cancelRequested.withLockedValue { $0.contains(key) }
    }

    func cancelAll() {
        for runner in runners.withLockedValue({ Array($0.values) }) { runner.cancelTask() }
    }
}

/// The task running a batch's jobs and the job it is running now. A cancel
/// reaches only the job that is running when it comes: the runner starts no
/// job in a cancelled task, and the rest of its batch goes on in a new one.
final class BatchRunner: Sendable {
    private struct State {
        var task: Task<Int, Never>?
        var job: JobKey?
        var flag: CancellationFlag?
        /// A cancel that came before the task was known.
        var cancelPending = false
    }

    private let state = NIOLockedValueBox(State())

    func attach(_ task: Task<Int, Never>) {
        let cancelNow = state.withLockedValue { state -> Bool in
            state.task = task
            return state.cancelPending
        }
        if cancelNow { task.cancel() }
    }

    /// Marks `job` as running under `flag`; false when the task was already
    /// cancelled (the job must not start in it).
    func begin(_ job: JobKey, flag: CancellationFlag) -> Bool {
        state.withLockedValue { state in
            guard !Task.isCancelled, !state.cancelPending else { return false }
            state.job = job
            state.flag = flag
            return true
        }
    }

    func end() {
        state.withLockedValue { state in
            state.job = nil
            state.flag = nil
        }
    }

    func cancel(ifRunningOneOf keys: Set<JobKey>) {
        let task = state.withLockedValue { state -> Task<Int, Never>? in
            guard let job = state.job, keys.contains(job) else { return nil }
            state.flag?.set()
            if state.task == nil { state.cancelPending = true }
            return state.task
        }
        task?.cancel()
    }

    func cancelTask() {
        let task = state.withLockedValue { state -> Task<Int, Never>? in
            if state.task == nil { state.cancelPending = true }
            return state.task
        }
        task?.cancel()
    }
}
