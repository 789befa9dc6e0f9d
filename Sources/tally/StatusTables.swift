import Foundation
import TallyCore

// `tally status` as tables: one per dashboard view.

extension ClusterStatus {
    func printTables() {
        var tenantTable = Table("TENANT", "NAME", "SCHEDULE", "TIME ZONE", "NEXT RUN (LOCAL)", "LAST RUN", "STATE", "REQUESTS/H", "BUDGET")
        for tenant in tenants {
            tenantTable.add(
                tenant.slug, tenant.name, tenant.schedule + (tenant.paused ? " (paused)" : ""), tenant.timeZone,
                tenant.nextRunLocal.cell, tenant.lastRunAt?.cell ?? "-", tenant.lastRunState.cell,
                "\(tenant.requestsLastHour)", "\(tenant.budgetUsedPercent) %")
        }
        print("Tenants (\(tenants.count))")
        tenantTable.print(empty: "no tenants")

        var queueTable = Table("TENANT", "QUEUED", "READY", "DEFERRED", "RUNNING", "HELD", "OLDEST READY", "WHY DEFERRED")
        for line in queue {
            queueTable.add(
                line.slug, "\(line.queued)", "\(line.ready)", "\(line.deferred)", "\(line.running)", "\(line.held)",
                line.oldestQueuedSeconds.map(durationText) ?? "-", line.deferredReason.cell)
        }
        print("\nQueue")
        queueTable.print(empty: "nothing queued, running or held")

        var workerTable = Table("HOST", "PID", "KINDS", "CONCURRENCY", "RUNNING JOBS", "SLOTS", "HEARTBEAT", "STATE")
        for worker in workers {
            let state = worker.stale ? "STALE" : worker.stopping ? "stopping" : "live"
            workerTable.add(
                worker.host, "\(worker.pid)", worker.kinds.isEmpty ? "all" : worker.kinds.joined(separator: ","),
                "\(worker.concurrency)", "\(worker.runningJobs)", "\(worker.slotsHeld)",
                durationText(worker.heartbeatAgeSeconds) + " ago", state)
        }
        print("\nWorkers")
        workerTable.print(empty: "no workers")

        var failureTable = Table("OUTCOME", "REASON", "RESULTS", "TENANTS", "FIX", "EXAMPLE")
        for failure in failures {
            failureTable.add(
                failure.outcome, failure.reasonCode, "\(failure.results)", "\(failure.tenants)", failure.fix.cell,
                failure.sampleMessage.cell)
        }
        print("\nFailures, held and skipped (24 h)")
        failureTable.print(empty: "none")

        print("\n" + throughputSummary)
    }

    /// The last hour in one sentence (percentiles of separate minutes do not add up: the worst minute's is shown).
    var throughputSummary: String {
        let finished = throughput.reduce(0) { $0 + $1.finished }
        let succeeded = throughput.reduce(0) { $0 + $1.succeeded }
        let failed = throughput.reduce(0) { $0 + $1.failed }
        let requests = throughput.reduce(0) { $0 + $1.autotaskRequests }
        let errors = throughput.reduce(0) { $0 + $1.autotaskErrors }
        var text = "Last 60 minutes: \(finished) jobs finished (\(succeeded) succeeded, \(failed) failed)"
        if let p95 = throughput.compactMap(\.p95Milliseconds).max(), let p99 = throughput.compactMap(\.p99Milliseconds).max() {
            text += ", run time p95 up to \(p95) ms, p99 up to \(p99) ms"
        }
        return text + "; \(requests) Autotask requests (\(errors) errors)"
    }
}

extension TenantStatus {
    func printTables() {
        print("\(tenant.slug): \(tenant.name)")
        print("  schedule: \(tenant.schedule)\(tenant.paused ? " (paused)" : ""), \(tenant.timeZone)")
        if let local = tenant.nextRunLocal, let at = tenant.nextRunAt {
            print("  next run: \(local) \(tenant.timeZone) (\(at.cell))")
        } else {
            print("  next run: none scheduled")
        }
        if let id = tenant.lastRunID, let at = tenant.lastRunAt {
            print("  last run: \(id) (\(tenant.lastRunTrigger.cell), \(at.cell)): \(tenant.lastRunState.cell)")
        } else {
            print("  last run: none yet")
        }
        print("  Autotask requests in the past hour: \(tenant.requestsLastHour) of \(tenant.hourlyRequestBudget) (\(tenant.budgetUsedPercent) %)")

        var statusTable = Table("ORGANIZATION", "PRODUCT", "OUTCOME", "BEFORE", "TARGET", "AFTER", "FINISHED", "USAGE FROM", "MESSAGE")
        for line in syncStatus {
            let usage = line.usageSource.map { source in "\(source), \(line.usageObservedAt.cell)" } ?? "-"
            statusTable.add(
                "\(line.organizationName) (\(line.organizationID))", line.product, line.outcome, line.unitsBefore.cell,
                line.targetUnits.cell, line.unitsAfter.cell, line.finishedAt.cell, usage,
                line.outcome == "held" ? "\(line.message) Approve: " + SyncApproval.command(slug: line.slug, jobID: line.jobID) : line.message)
        }
        print("\nSync status")
        statusTable.print(empty: "no results yet")

        var runTable = Table("RUN", "TRIGGER", "CREATED", "STATE", "JOBS", "SUCCEEDED", "FAILED", "SKIPPED", "HELD", "TO DO", "DURATION")
        for run in runs {
            runTable.add(
                "\(run.runID)", run.trigger, run.createdAt.cell, run.state, "\(run.jobCount)", "\(run.succeeded)",
                "\(run.failed)", "\(run.skipped)", "\(run.held)", "\(run.queued + run.running)", durationText(run.durationSeconds))
        }
        print("\nRuns (latest \(runs.count))")
        runTable.print(empty: "no runs yet")

        print("\nQueue")
        if let queue {
            var text = "  \(queue.queued) queued (\(queue.ready) ready, \(queue.deferred) deferred), \(queue.running) running, \(queue.held) held"
            if let oldest = queue.oldestQueuedSeconds { text += "; the oldest ready job has waited \(durationText(oldest))" }
            print(text)
            if let why = queue.deferredReason { print("  deferred: \(why)") }
        } else {
            print("  nothing queued, running or held")
        }

        var failureTable = Table("OUTCOME", "REASON", "RESULTS", "LAST", "FIX", "EXAMPLE")
        for failure in failures {
            failureTable.add(
                failure.outcome, failure.reasonCode, "\(failure.results)", failure.lastAt.cell, failure.fix.cell,
                failure.sampleMessage.cell)
        }
        print("\nFailures, held and skipped (24 h)")
        failureTable.print(empty: "none")

        if !unmapped.isEmpty {
            var unmappedTable = Table("ORGANIZATION", "MISSING", "USAGE", "FIX")
            for organization in unmapped {
                unmappedTable.add(
                    "\(organization.organizationName) (\(organization.organizationID))", organization.missing,
                    organization.usage.cell, organization.fix)
            }
            print("\nOrganizations without a company or contract")
            unmappedTable.print(empty: "none")
        }
    }
}

extension LastRunChanges {
    func printTable(slug: String) {
        guard let run else {
            print("\(slug) has no runs yet")
            return
        }
        let count = changes.count == 1 ? "1 adjustment" : "\(changes.count) adjustments"
        print("\(slug): run \(run.runID) (\(run.trigger), \(run.createdAt.cell)), \(run.state): \(count)")
        var table = Table("ORGANIZATION", "PRODUCT", "CONTRACT", "SERVICE", "BEFORE", "AFTER", "CHANGE", "ADJUSTMENT", "AT")
        for change in changes {
            let delta = change.unitsAfter - change.unitsBefore
            table.add(
                "\(change.organizationName) (\(change.organizationID))", "\(change.productName) (\(change.product))",
                change.contractID.cell, change.serviceID.cell, "\(change.unitsBefore)", "\(change.unitsAfter) \(change.unitName)",
                delta > 0 ? "+\(delta)" : "\(delta)", "\(change.adjustmentID)", change.finishedAt.cell)
        }
        table.print(empty: "it changed no units")
    }
}

/// Seconds as `3d 4h`, `2h 5m`, `5m 3s` or `42s`.
func durationText(_ seconds: Double) -> String {
    let total = max(0, Int(seconds.rounded()))
    let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
    if days > 0 { return "\(days)d \(hours)h" }
    if hours > 0 { return "\(hours)h \(minutes)m" }
    if minutes > 0 { return "\(minutes)m \(secs)s" }
    return "\(secs)s"
}
