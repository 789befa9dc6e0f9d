public import Postgres
import TallyQueue

/// The scheduler's look at runs for alerts (sql/019), one statement per
/// sweep: a run that ended with failures, held changes or failing
/// credentials; a scheduled run not started 15 minutes after it was due; a
/// run waiting on the hourly budget for over an hour. Each alert of a run is
/// recorded once, and its `notify` jobs, one per destination whose events
/// include it, are enqueued in the same statement. Only runs not yet
/// checked are read (an index of them), so a sweep costs little however
/// many runs the cluster keeps.
public enum AlertSweep {
    public struct Outcome: Sendable, Equatable {
        /// Ended runs looked at.
        public var runsChecked: Int
        /// Alerts recorded (run, missed, budget).
        public var alerts: Int
        /// `notify` jobs enqueued.
        public var deliveries: Int
    }

    /// Reason codes of failures that come from the tenant's credentials or permissions.
    static let credentialReasons = ["bad_credentials", "missing_permission", "wrong_zone", "missing_secret"]
    static let huntressKeyReasons = ["huntress_bad_key", "huntress_forbidden", "no_huntress_key"]

    public static func sweep(on connection: Connection) async throws -> Outcome {
        let row = try await connection.query("""
            WITH unchecked AS (
                SELECT r.tenant_id, r.run_id, r.due_at, r.created_at, r.refresh_error,
                       -- A run still refreshing has not ended, even when its refresh job has (its syncs start next).
                       r.phase <> 'refreshing' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id
                                                                 AND j.state IN ('queued', 'running')) AS ended
                FROM runs r
                JOIN tenants t ON t.tenant_id = r.tenant_id
                WHERE r.alerts_checked_at IS NULL AND NOT t.paused
                ORDER BY r.run_id
                LIMIT 2000
                FOR UPDATE OF r SKIP LOCKED
            ),
            checked AS (
                UPDATE runs r SET alerts_checked_at = now()
                FROM unchecked u WHERE r.tenant_id = u.tenant_id AND r.run_id = u.run_id AND u.ended
                RETURNING r.tenant_id, r.run_id, r.refresh_error
            ),
            ended_alerts AS (
                SELECT c.tenant_id, c.run_id, 'run' AS alert,
                       array_remove(ARRAY[
                           CASE WHEN coalesce(bool_or(x.outcome = 'failed'), false) OR c.refresh_error IS NOT NULL THEN 'failures' END,
                           CASE WHEN bool_or(x.outcome = 'held') THEN 'held' END,
                           CASE WHEN coalesce(bool_or(x.outcome = 'failed' AND x.reason_code = ANY (\(credentialReasons)::text[])), false)
                                  OR EXISTS (
                                      SELECT 1 FROM jobs k WHERE k.tenant_id = c.tenant_id AND k.run_id = c.run_id AND k.kind = 'usage_refresh'
                                        AND k.report->>'reason_code' = ANY (\(huntressKeyReasons)::text[]))
                                THEN 'credentials' END], NULL) AS events
                FROM checked c
                LEFT JOIN results x ON x.tenant_id = c.tenant_id AND x.run_id = c.run_id
                GROUP BY c.tenant_id, c.run_id, c.refresh_error
            ),
            waiting_alerts AS (
                SELECT u.tenant_id, u.run_id, 'missed' AS alert, ARRAY['missed'] AS events
                FROM unchecked u
                WHERE NOT u.ended AND u.due_at < now() - interval '15 minutes'
                  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = u.tenant_id AND j.run_id = u.run_id
                                    AND (j.started_at IS NOT NULL OR j.state <> 'queued'))
                UNION ALL
                SELECT u.tenant_id, u.run_id, 'budget', ARRAY['budget']
                FROM unchecked u
                WHERE NOT u.ended AND coalesce(u.due_at, u.created_at) < now() - interval '1 hour'
                  AND EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = u.tenant_id AND j.run_id = u.run_id AND j.state = 'queued'
                                AND j.deferred_reason LIKE '%request budget is spent%')
            ),
            recorded AS (
                INSERT INTO run_alerts (tenant_id, run_id, alert, events)
                SELECT tenant_id, run_id, alert, events FROM ended_alerts WHERE cardinality(events) > 0
                UNION ALL
                SELECT tenant_id, run_id, alert, events FROM waiting_alerts
                ON CONFLICT DO NOTHING
                RETURNING tenant_id, run_id, alert, events
            ),
            deliveries AS (
                SELECT a.tenant_id, NULL::bigint AS run_id,
                       'notify:' || a.run_id || ':' || a.alert || ':' || d.destination_id AS unique_key,
                       \(unescaped: String(JobPriority.syncNow))::smallint AS priority,
                       d.destination_id, a.run_id AS run, a.alert
                FROM recorded a
                JOIN notify_destinations d ON d.tenant_id = a.tenant_id AND d.events && a.events
            ),
            enqueued AS (\(fragment: JobQueue.insert(NotifyKind.self, arguments: NotifyKind.Arguments.Column.allCases, from: "SELECT * FROM deliveries")))
            SELECT (SELECT count(*) FROM checked)::int AS checked, (SELECT count(*) FROM recorded)::int AS alerts,
                   (SELECT count(*) FROM enqueued)::int AS deliveries
            """, name: "alert sweep")[0]
        return Outcome(runsChecked: try row.decode("checked"), alerts: try row.decode("alerts"), deliveries: try row.decode("deliveries"))
    }
}
