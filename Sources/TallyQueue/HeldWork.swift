import NIOConcurrencyHelpers

/// The jobs and slots a worker's tasks hold now: what its lease renewal extends.
public struct HeldWork: Sendable {
    public var jobs: [JobKey]
    public var slots: [(tenantID: Int64, slot: Int)]

    public init(jobs: [JobKey] = [], slots: [(tenantID: Int64, slot: Int)] = []) {
        self.jobs = jobs
        self.slots = slots
    }

    /// The batches claimed, each holding its jobs and its slot.
    public init(batches: [[ClaimedJob]]) {
        self.init(
            jobs: batches.flatMap { $0.map { JobKey(tenantID: $0.tenantID, jobID: $0.jobID) } },
            slots: batches.compactMap { $0.first.map { (tenantID: $0.tenantID, slot: $0.slot) } })
    }
}

/// Each task's batch, from its claim until the batch's last end is written.
final class HeldBatches: Sendable {
    private let batches = NIOLockedValueBox<[Int: [ClaimedJob]]>([:])

    func hold(_ batch: [ClaimedJob], task: Int) {
        batches.withLockedValue { $0[task] = batch }
    }

    func release(task: Int) {
        batches.withLockedValue { _ = $0.removeValue(forKey: task) }
    }

    var now: HeldWork { HeldWork(batches: batches.withLockedValue { Array($0.values) }) }
}
