public import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import NIOConcurrencyHelpers

/// A worker process's job loop, as a ServiceLifecycle service: `concurrency`
/// tasks claim batches and run them; a listener wakes idle tasks on NOTIFY;
/// a maintenance loop renews leases, reclaims the work of dead workers and
/// prunes old jobs. On graceful shutdown it stops claiming, lets in-flight
/// jobs finish within the grace period, and hands the rest back.
public final class Worker: Service, Sendable {
    public let id = UUID()
    let pool: ConnectionPool
    let listenerConfiguration: ConnectionConfiguration
    let registry: JobRegistry
    let configuration: WorkerConfiguration
    let logger: Logger
    let metrics: QueueMetrics
    let wake = WakeSignal()
    /// Signalled once the listener is listening (its only waiter is `run`).
    let listening = WakeSignal()
    let lifecycle = NIOLockedValueBox(Lifecycle())
    let inFlight = InFlightJobs()
    let held = HeldBatches()
    let queueStatements: StatementGate

    struct Lifecycle {
        var stopping = false
        var deadlinePassed = false
    }

    public init(
        pool: ConnectionPool, listenerConfiguration: ConnectionConfiguration, registry: JobRegistry,
        configuration: WorkerConfiguration, metrics: QueueMetrics = .none, logger: Logger
    ) {
        self.pool = pool
        self.listenerConfiguration = listenerConfiguration
        self.registry = registry
        self.configuration = configuration
        self.metrics = metrics
        self.queueStatements = StatementGate(limit: configuration.queueStatementConcurrency)
        var logger = logger
        logger[metadataKey: "worker"] = "\(id)"
        self.logger = logger
    }

    var kinds: [String] { configuration.kinds ?? registry.kinds }
    var isStopping: Bool { lifecycle.withLockedValue { $0.stopping } }

    public func run() async throws {
        try await pool.withConnection { connection in
            try await JobQueue.register(registration, on: connection)
        }
        logger.info("worker started", metadata: ["concurrency": "\(configuration.concurrency)", "kinds": "\(kinds)"])
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { background in
                    background.addTask { await self.listen() }
                    background.addTask { await self.maintain() }
                    // Claim once NOTIFY reaches this worker, so a cancel or a new job sent
                    // right after start is not missed; a listener that cannot connect
                    // delays claiming by 5 s at most (polling covers for it).
                    await listening.wait(timeout: .seconds(5))
                    await withTaskGroup(of: Void.self) { tasks in
                        for task in 0..<configuration.concurrency {
                            tasks.addTask { await self.taskLoop(task) }
                        }
                    }
                    background.cancelAll()
                }
            } onCancel: {
                self.beginShutdown(grace: .zero)
            }
        } onGracefulShutdown: {
            self.beginShutdown(grace: self.configuration.shutdownGrace)
        }
        try? await pool.withConnection { try await JobQueue.deregister(worker: self.id, on: $0) }
        logger.info("worker stopped")
    }

    var registration: WorkerRegistration {
        WorkerRegistration(
            workerID: id, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
            concurrency: configuration.concurrency, kinds: kinds, version: configuration.version)
    }

    /// Stop claiming now; cancel what still runs after `grace`.
    func beginShutdown(grace: Duration) {
        let first = lifecycle.withLockedValue { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        wake.signalAll()
        listening.signalAll()
        if first {
            logger.info("shutting down: no new claims; in-flight jobs have \(grace) to finish")
            Task { try? await self.pool.withConnection { try await JobQueue.markStopping(worker: self.id, on: $0) } }
        }
        Task {
            try? await Task.sleep(for: grace)
            self.lifecycle.withLockedValue { $0.deadlinePassed = true }
            self.inFlight.cancelAll()
        }
    }

    // MARK: Claiming

    private func taskLoop(_ task: Int) async {
        var failures = 0
        var staleHints = 0
        while !isStopping {
            let claim: Claim
            do {
                let started = ContinuousClock.now
                claim = try await queueStatements.withPermit {
                    try await pool.withConnection { connection in
                        try await JobQueue.claim(
                            worker: id, task: task, batchSize: configuration.batchSize, lease: configuration.lease,
                            kinds: kinds, kindsDecideTenant: configuration.kinds != nil, on: connection)
                    }
                }
                metrics.claimDuration(ContinuousClock.now - started)
                failures = 0
            } catch {
                failures += 1
                logger.warning("claim failed; retrying", metadata: ["error": "\(error)", "task": "\(task)"])
                await wake.wait(timeout: Self.backoff(failures))
                continue
            }
            if claim.jobs.isEmpty {
                // A stale hint: look again at once, as long as each look fixes
                // one (after a run over many tenants there may be hundreds), but
                // never spin on one that stays (a tenant with only kinds this
                // worker lacks, or jobs another claim holds locked).
                staleHints = claim.foundCandidate && !claim.fixedHint ? staleHints + 1 : 0
                if claim.foundCandidate, staleHints <= 3 { continue }
                await wake.wait(timeout: jittered(configuration.pollInterval))
                continue
            }
            staleHints = 0
            wake.signalOne()
            for (kind, jobs) in Dictionary(grouping: claim.jobs, by: \.kind) {
                metrics.claimed(kind, jobs.count)
            }
            held.hold(claim.jobs, task: task)
            await work(claim.jobs)
            held.release(task: task)
        }
    }

    private func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.8...1.2)
    }

    /// How long to wait after `failures` database failures in a row: 200 ms, doubling, at most 5 s.
    public static func backoff(_ failures: Int) -> Duration {
        .milliseconds(min(5000, 100 << min(failures, 6)))
    }
}
