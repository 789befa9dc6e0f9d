public import Postgres
import TallyQueue

extension Runs {
    /// Ends a run's refresh: creates its sync jobs (the run's targets as they
    /// are now) and moves it to 'syncing', in the caller's transaction — the
    /// one that wrote what the refresh read. `refreshError`: the refresh
    /// failed, and stale usage is skipped with this error. Does nothing (0)
    /// when the run is not refreshing: it happens once, whoever calls first.
    @discardableResult
    static func startSyncing(tenantID: Int64, runID: Int64, refreshError: String?, on connection: Connection) async throws -> Int {
        let runs = try await connection.query("""
            SELECT organization_id, product, trigger FROM runs
            WHERE tenant_id = \(tenantID) AND run_id = \(runID) AND phase = 'refreshing' FOR UPDATE
            """, name: "refreshing run")
        guard let run = runs.first else { return 0 }
        let priority = try run.decode("trigger", as: String.self) == "sync_now" ? JobPriority.syncNow : JobPriority.scheduled
        let runTargets = targets(
            tenantsIn: "\(tenantID)", organizationID: try run.decode("organization_id"), product: try run.decode("product"))
        return try await connection.query("""
            WITH this_run AS (
                SELECT tenant_id, run_id, due_at FROM runs WHERE tenant_id = \(tenantID) AND run_id = \(runID)
            ),
            chosen AS (
                \(fragment: runTargets)
            ),
            new_jobs AS (
                \(fragment: syncJobs(runs: "this_run", targets: "chosen", priority: priority, inOrder: true, untilDue: true))
            ),
            started AS (
                UPDATE runs SET phase = 'syncing', refresh_error = \(refreshError),
                    job_count = (SELECT count(*) FROM chosen),
                    finished_at = CASE WHEN (SELECT count(*) FROM chosen) = 0 THEN now() END
                WHERE tenant_id = \(tenantID) AND run_id = \(runID)
            )
            SELECT (SELECT count(*) FROM new_jobs)::int AS jobs
            """, name: "start syncing")[0].decode("jobs")
    }

    /// The refresh errors of those of `runIDs` whose refresh failed.
    static func refreshErrors(tenantID: Int64, runIDs: [Int64], on connection: Connection) async throws -> [Int64: String] {
        guard !runIDs.isEmpty else { return [:] }
        var errors: [Int64: String] = [:]
        for row in try await connection.query("""
            SELECT run_id, refresh_error FROM runs
            WHERE tenant_id = \(tenantID) AND run_id = ANY (\(runIDs)::bigint[]) AND refresh_error IS NOT NULL
            """, name: "run refresh errors") {
            errors[try row.decode("run_id")] = try row.decode("refresh_error")
        }
        return errors
    }

    /// Runs still refreshing whose refresh job ended without starting their
    /// syncs (its worker died on the last attempt, or it was cancelled):
    /// their syncs start now, with the refresh's error. The scheduler calls it
    /// every tick. Answers how many runs it moved on.
    @discardableResult
    public static func startStalledSyncs(on connection: Connection) async throws -> Int {
        let stalled = try await connection.query("""
            SELECT r.tenant_id, r.run_id, j.state, coalesce(j.last_error, j.outcome_message) AS error
            FROM runs r
            LEFT JOIN jobs j ON j.tenant_id = r.tenant_id AND j.run_id = r.run_id AND j.kind = \(UsageRefreshKind.name)
            WHERE r.phase = 'refreshing' AND (j.job_id IS NULL OR j.state NOT IN ('queued', 'running'))
            """, name: "stalled refreshes")
        for row in stalled {
            let state: String? = try row.decode("state")
            let error: String? = try row.decode("error")
            let reason = error ?? "the refresh ended (\(state ?? "its job is gone")) without reading usage"
            try await connection.withTransaction { tx in
                try await startSyncing(
                    tenantID: try row.decode("tenant_id"), runID: try row.decode("run_id"), refreshError: reason, on: tx)
            }
        }
        return stalled.count
    }
}
