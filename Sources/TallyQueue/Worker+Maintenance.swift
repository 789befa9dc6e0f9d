import Foundation
import Logging
import Postgres

extension Worker {
    /// Wakes idle tasks when jobs are enqueued or a slot frees up, and
    /// passes on operators' cancel requests. Reconnects after any failure
    /// and then wakes every task, in case a notification was missed.
    func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await Connection.connect(listenerConfiguration)
                try await connection.listen("tally_jobs")
                try await connection.listen("tally_cancel")
                listening.signalAll()
                if failures > 0 { wake.signalAll() }
                failures = 0
                while !Task.isCancelled {
                    for notification in try await connection.notifications(timeout: .seconds(30)) {
                        if notification.channel == "tally_jobs" {
                            wake.signalOne()
                        } else if notification.payload == id.uuidString.lowercased() {
                            await renewLeases()
                        }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                logger.warning("lost the notification connection; reconnecting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: Self.backoff(failures))
            }
        }
    }

    /// Renews leases every third of a lease; reclaims expired work as often;
    /// prunes finished jobs and emptied counts once a minute.
    func maintain() async {
        var lastPrune = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.lease / 3)
            } catch {
                return
            }
            await renewLeases()
            await reliably("reclaim expired leases") { try await JobQueue.reclaimExpired(on: $0) }
            if ContinuousClock.now - lastPrune > .seconds(60) {
                lastPrune = ContinuousClock.now
                await prune()
            }
        }
    }

    func renewLeases() async {
        guard let renewal = await reliably("renew leases", { connection in
            try await JobQueue.renewLeases(worker: self.id, holding: self.held.now, lease: self.configuration.lease, on: connection)
        }) else { return }
        inFlight.requestCancel(renewal.cancelRequested)
        if !renewal.registered {
            logger.warning("this worker's registration was gone; registering again")
            let registration = registration
            await reliably("register worker") { try await JobQueue.register(registration, on: $0) }
        }
    }

    private func prune() async {
        for _ in 0..<20 {
            let retention = configuration.retention
            guard let deleted = await reliably("prune finished jobs", {
                try await JobQueue.pruneFinished(olderThan: retention, on: $0)
            }), deleted == 1000 else { break }
        }
        await reliably("prune emptied counts") { try await JobQueue.pruneEmptiedCounts(on: $0) }
        await reliably("forget dead workers") { try await JobQueue.forgetDeadWorkers(silentFor: .seconds(3600), on: $0) }
    }
}
