/// What one scheduler tick created.
public struct SchedulerTick: Sendable, Equatable {
    /// Scheduled runs created by this tick (not by another scheduler).
    public var runs: Int
    /// Sync jobs created for those runs.
    public var jobs: Int

    public init(runs: Int, jobs: Int) {
        self.runs = runs
        self.jobs = jobs
    }

    public var createdNothing: Bool { runs == 0 && jobs == 0 }
}
