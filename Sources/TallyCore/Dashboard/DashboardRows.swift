public import Foundation
import Postgres
import TallyQueue

// Rows of the `dashboard` views (sql/005_dashboard.sql), as `Dashboard` reads
// them. Intervals arrive as seconds.

/// `dashboard.tenants`: schedule, next run, last run, budget used.
public struct DashboardTenant: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var name: String
    public var timeZone: String
    public var schedule: String
    public var paused: Bool
    public var nextRunAt: Date?
    /// The next run in the tenant's time zone (`YYYY-MM-DD HH:MM`).
    public var nextRunLocal: String?
    public var lastRunID: Int64?
    public var lastRunTrigger: String?
    public var lastRunAt: Date?
    public var lastRunJobs: Int?
    /// running, failed, held, cancelled or succeeded; nil before the first run.
    public var lastRunState: String?
    public var requestsLastHour: Int
    public var hourlyRequestBudget: Int
    public var budgetUsedPercent: Double

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        name = try row.decode("tenant_name")
        timeZone = try row.decode("time_zone")
        schedule = try row.decode("schedule")
        paused = try row.decode("paused")
        nextRunAt = try row.decode("next_run_at")
        nextRunLocal = try row.decode("next_run_local")
        lastRunID = try row.decode("last_run_id")
        lastRunTrigger = try row.decode("last_run_trigger")
        lastRunAt = try row.decode("last_run_at")
        lastRunJobs = try row.decode("last_run_jobs")
        lastRunState = try row.decode("last_run_state")
        requestsLastHour = try row.decode("requests_last_hour")
        hourlyRequestBudget = try row.decode("hourly_request_budget")
        budgetUsedPercent = try row.decode("budget_used_percent")
    }
}

/// `dashboard.queue`: one tenant's jobs queued, running and held.
public struct DashboardQueueLine: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var name: String
    public var queued: Int
    /// Queued and due now.
    public var ready: Int
    /// Queued with a deferral (e.g. the hourly budget is spent); `deferredReason` says why.
    public var deferred: Int
    public var running: Int
    public var held: Int
    public var concurrencyCap: Int
    /// How long the oldest ready job has waited since it was due; nil when none is ready.
    public var oldestQueuedSeconds: Double?
    /// When the next job that is not due yet (deferred, or waiting to retry) will be.
    public var nextRunAt: Date?
    public var deferredReason: String?

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        name = try row.decode("tenant_name")
        queued = try row.decode("queued")
        ready = try row.decode("ready")
        deferred = try row.decode("deferred")
        running = try row.decode("running")
        held = try row.decode("held")
        concurrencyCap = try row.decode("concurrency_cap")
        oldestQueuedSeconds = try row.decode("oldest_queued_seconds")
        nextRunAt = try row.decode("next_run_at")
        deferredReason = try row.decode("deferred_reason")
    }
}

/// `dashboard.workers`: a worker process and what it holds.
public struct DashboardWorker: Codable, Sendable, Equatable {
    public var workerID: UUID
    public var host: String
    public var pid: Int
    public var version: String?
    public var kinds: [String]
    public var concurrency: Int
    public var startedAt: Date
    public var heartbeatAt: Date
    public var heartbeatAgeSeconds: Double
    public var stopping: Bool
    public var runningJobs: Int
    public var slotsHeld: Int
    /// No heartbeat for 90 s: probably dead.
    public var stale: Bool

    init(_ row: Row) throws {
        workerID = try row.decode("worker_id")
        host = try row.decode("host")
        pid = try row.decode("pid")
        version = try row.decode("version")
        kinds = try row.decode("kinds", as: String.self).split(separator: ",").map(String.init)
        concurrency = try row.decode("concurrency")
        startedAt = try row.decode("started_at")
        heartbeatAt = try row.decode("heartbeat_at")
        heartbeatAgeSeconds = try row.decode("heartbeat_age_seconds")
        stopping = try row.decode("stopping")
        runningJobs = try row.decode("running_jobs")
        slotsHeld = try row.decode("slots_held")
        stale = try row.decode("stale")
    }
}

/// `dashboard.failures`: one tenant's results of the last 24 hours with one outcome and reason.
public struct DashboardFailure: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var name: String
    public var outcome: String
    public var reasonCode: String
    public var results: Int
    public var firstAt: Date
    public var lastAt: Date
    public var sampleMessage: String?
    /// What to do; nil for a reason code without advice.
    public var fix: String?

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        name = try row.decode("tenant_name")
        outcome = try row.decode("outcome")
        reasonCode = try row.decode("reason_code")
        results = try row.decode("results")
        firstAt = try row.decode("first_at")
        lastAt = try row.decode("last_at")
        sampleMessage = try row.decode("sample_message")
        fix = try row.decode("fix")
    }
}

/// `dashboard.failures` summed over the cluster: one outcome and reason.
public struct DashboardFailureReason: Codable, Sendable, Equatable {
    public var outcome: String
    public var reasonCode: String
    public var results: Int
    public var tenants: Int
    /// The message of one of the results (of the tenant with the highest id).
    public var sampleMessage: String?
    public var fix: String?

    init(_ row: Row) throws {
        outcome = try row.decode("outcome")
        reasonCode = try row.decode("reason_code")
        results = try row.decode("results")
        tenants = try row.decode("tenants")
        sampleMessage = try row.decode("sample_message")
        fix = try row.decode("fix")
    }
}

/// `dashboard.sync_status`: the latest result of one organization and product.
public struct DashboardSyncStatus: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var organizationID: Int64
    public var organizationName: String
    public var product: String
    public var finishedAt: Date
    public var outcome: String
    public var reasonCode: String?
    public var unitsBefore: Int?
    public var targetUnits: Int?
    public var unitsAfter: Int?
    public var change: Int?
    public var adjustmentID: Int64?
    public var contractID: Int64?
    public var serviceID: Int64?
    public var message: String
    public var runID: Int64?
    public var jobID: Int64
    /// Where the organization's usage of the product came from (huntress, csv, sql, manual), and when it was observed.
    public var usageSource: String?
    public var usageObservedAt: Date?

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        organizationID = try row.decode("organization_id")
        organizationName = try row.decode("organization_name")
        usageSource = try row.decode("usage_source")
        usageObservedAt = try row.decode("usage_observed_at")
        product = try row.decode("product")
        finishedAt = try row.decode("finished_at")
        outcome = try row.decode("outcome")
        reasonCode = try row.decode("reason_code")
        unitsBefore = try row.decode("units_before")
        targetUnits = try row.decode("target_units")
        unitsAfter = try row.decode("units_after")
        change = try row.decode("change")
        adjustmentID = try row.decode("adjustment_id")
        contractID = try row.decode("contract_id")
        serviceID = try row.decode("service_id")
        message = try row.decode("message")
        runID = try row.decode("run_id")
        jobID = try row.decode("job_id")
    }
}

/// `dashboard.runs`: one run, its jobs by outcome, its state and duration.
public struct DashboardRun: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var runID: Int64
    public var trigger: String
    public var dueAt: Date?
    public var createdAt: Date
    public var jobCount: Int
    public var succeeded: Int
    public var failed: Int
    public var skipped: Int
    public var held: Int
    public var cancelled: Int
    public var queued: Int
    public var running: Int
    /// running, failed, held, cancelled, incomplete or succeeded.
    public var state: String
    public var finishedAt: Date?
    /// Until it finished, or until now while it runs.
    public var durationSeconds: Double

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        runID = try row.decode("run_id")
        trigger = try row.decode("trigger")
        dueAt = try row.decode("due_at")
        createdAt = try row.decode("created_at")
        jobCount = try row.decode("job_count")
        succeeded = try row.decode("succeeded")
        failed = try row.decode("failed")
        skipped = try row.decode("skipped")
        held = try row.decode("held")
        cancelled = try row.decode("cancelled")
        queued = try row.decode("queued")
        running = try row.decode("running")
        state = try row.decode("state")
        finishedAt = try row.decode("finished_at")
        durationSeconds = try row.decode("duration_seconds")
    }
}

/// `dashboard.throughput`: one minute of the last hour.
public struct DashboardMinute: Codable, Sendable, Equatable {
    public var minute: Date
    public var finished: Int
    public var succeeded: Int
    public var failed: Int
    public var p50Milliseconds: Int?
    public var p95Milliseconds: Int?
    public var p99Milliseconds: Int?
    public var autotaskRequests: Int
    public var autotaskErrors: Int

    init(_ row: Row) throws {
        minute = try row.decode("minute")
        finished = try row.decode("finished")
        succeeded = try row.decode("succeeded")
        failed = try row.decode("failed")
        p50Milliseconds = try row.decode("p50_ms")
        p95Milliseconds = try row.decode("p95_ms")
        p99Milliseconds = try row.decode("p99_ms")
        autotaskRequests = try row.decode("autotask_requests")
        autotaskErrors = try row.decode("autotask_errors")
    }
}

/// `dashboard.unmapped`: an organization without a company or a contract.
public struct DashboardUnmapped: Codable, Sendable, Equatable {
    public var tenantID: Int64
    public var slug: String
    public var organizationID: Int64
    public var organizationName: String
    public var companyID: Int64?
    /// company or contract.
    public var missing: String
    /// Its usage per product (`edr 25, m365 10`), if any.
    public var usage: String?
    public var fix: String

    init(_ row: Row) throws {
        tenantID = try row.decode("tenant_id")
        slug = try row.decode("tenant_slug")
        organizationID = try row.decode("organization_id")
        organizationName = try row.decode("organization_name")
        companyID = try row.decode("company_id")
        missing = try row.decode("missing")
        usage = try row.decode("usage")
        fix = try row.decode("fix")
    }
}
