public import Logging
public import Postgres
public import ServiceLifecycle
import Foundation
import NIOConcurrencyHelpers
import TallyQueue

/// A scheduler process's loop, as a ServiceLifecycle service: a tick at
/// start and then every `interval`. A database error is logged and the
/// tick retried on a new connection with back-off; the loop never ends on
/// one. On graceful shutdown it finishes the tick in progress and stops.
/// Every ten minutes it also deletes Autotask request counts older than a day.
public final class SchedulerService: Service, Sendable {
    let database: ConnectionConfiguration
    let interval: Duration
    let logger: Logger
    let wake = WakeSignal()
    let stopping = NIOLockedValueBox(false)

    public init(database: ConnectionConfiguration, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    var isStopping: Bool { stopping.withLockedValue { $0 } }

    public func run() async throws {
        logger.info("scheduler started", metadata: ["tick_seconds": "\(interval.seconds)"])
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            self.stopping.withLockedValue { $0 = true }
            self.wake.signalAll()
        }
        logger.info("scheduler stopped")
    }

    private func loop() async {
        var connection: Connection?
        var failures = 0
        var lastHousekeeping: ContinuousClock.Instant?
        while !isStopping, !Task.isCancelled {
            do {
                let db: Connection
                if let connection { db = connection } else { db = try await Connection.connect(database) }
                connection = db
                let started = ContinuousClock.now
                try await Runs.startStalledSyncs(on: db)
                // Before the tick, whose COMMIT ends each round (tests watch for it).
                let alerts = try await AlertSweep.sweep(on: db)
                if alerts.alerts > 0 {
                    logger.info("scheduler sweep raised run alerts", metadata: [
                        "alerts": "\(alerts.alerts)", "deliveries": "\(alerts.deliveries)", "runs_checked": "\(alerts.runsChecked)",
                    ])
                }
                let tick = try await Scheduler.tick(on: db)
                if lastHousekeeping.map({ ContinuousClock.now - $0 > .seconds(600) }) ?? true {
                    try await RequestBudget.prune(on: db)
                    lastHousekeeping = ContinuousClock.now
                }
                if failures > 0 { logger.info("scheduler tick succeeded again", metadata: ["after_failures": "\(failures)"]) }
                failures = 0
                TallyMetrics.runsCreated(tick.runs)
                for tenant in tick.unknownTimeZones {
                    logger.warning("a tenant's time zone is unknown to PostgreSQL; its runs are not scheduled", metadata: [
                        "tenant": "\(tenant.slug)", "time_zone": "\(DisplayName.cleaned(tenant.timeZone))",
                        "fix": "tally tenant schedule \(tenant.slug) --time-zone Area/City (an IANA name)",
                    ])
                }
                if !tick.createdNothing {
                    logger.info("scheduler tick created runs", metadata: [
                        "runs": "\(tick.runs)", "jobs": "\(tick.jobs)",
                        "seconds": "\(String(format: "%.3f", (ContinuousClock.now - started).seconds))",
                    ])
                }
                await wake.wait(timeout: interval)
            } catch {
                if Task.isCancelled { return }
                // A new connection next time: this one may be broken or mid-transaction.
                connection = nil
                failures += 1
                TallyMetrics.tickFailed()
                let delay = Self.backoff(failures, cap: max(interval, .seconds(60)))
                logger.error("scheduler tick failed; retrying", metadata: [
                    "error": "\(error)", "failures": "\(failures)", "retry_in_seconds": "\(delay.seconds)",
                ])
                await wake.wait(timeout: delay)
            }
        }
    }

    /// 1 s, 2 s, 4 s … up to `cap`.
    static func backoff(_ failures: Int, cap: Duration) -> Duration {
        min(.seconds(1 << min(failures - 1, 16)), cap)
    }
}
