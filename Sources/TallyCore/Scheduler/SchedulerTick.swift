/// What one scheduler tick created.
public struct SchedulerTick: Sendable, Equatable {
    /// Scheduled runs created by this tick (not by another scheduler).
    public var runs: Int
    /// Sync jobs created for those runs.
    public var jobs: Int
    /// Tenants left out of the tick: PostgreSQL does not know their time zone.
    public var unknownTimeZones: [UnknownTimeZone]

    public struct UnknownTimeZone: Sendable, Equatable {
        public var tenantID: Int64
        public var slug: String
        public var timeZone: String

        public init(tenantID: Int64, slug: String, timeZone: String) {
            self.tenantID = tenantID
            self.slug = slug
            self.timeZone = timeZone
        }
    }

    public init(runs: Int, jobs: Int, unknownTimeZones: [UnknownTimeZone] = []) {
        self.runs = runs
        self.jobs = jobs
        self.unknownTimeZones = unknownTimeZones
    }

    public var createdNothing: Bool { runs == 0 && jobs == 0 }
}
