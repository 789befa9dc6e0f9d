public import Foundation
public import Postgres

/// What one claim statement found.
public struct Claim: Sendable {
    /// Jobs of one tenant, in the order to run them; empty if none were taken.
    public var jobs: [ClaimedJob]
    /// A slot was free for a tenant that looked ready; when no jobs came
    /// with it the hint was stale: claim again at once.
    public var foundCandidate: Bool
    /// The claim corrected its tenant's hint (`queue_tenants`), e.g. a
    /// tenant left looking ready by claims that emptied it together.
    public var fixedHint: Bool
}

extension JobQueue {
    /// Takes a free concurrency slot of the tenant whose turn it is and up
    /// to `batchSize` of its ready jobs of `kinds`, in one statement. The
    /// jobs are marked started (each uses an attempt) and run one after
    /// another; their ends are written together (`finish`). `kindsDecideTenant`: pass true for a worker limited to some
    /// kinds, so that tenants with only other kinds ready are passed over;
    /// a worker that runs every kind it knows passes false (cheaper; a
    /// tenant whose only ready jobs are of kinds unknown to this build is
    /// then tried and found empty). Run it in a transaction of its own: it
    /// turns `synchronous_commit` off for the transaction it is in.
    public static func claim(
        worker: UUID, task: Int, batchSize: Int, lease: Duration, kinds: [String], kindsDecideTenant: Bool = false,
        on connection: Connection
    ) async throws -> Claim {
        let statement = claimStatement(
            worker: worker, task: task, batchSize: batchSize, lease: lease, kinds: kinds, kindsDecideTenant: kindsDecideTenant)
        let rows = try await connection.query(statement, name: "claim jobs", prepared: true)
        var jobs: [ClaimedJob] = []
        for row in rows {
            guard let jobID: Int64 = try row.decode("job_id") else { continue }
            jobs.append(ClaimedJob(
                tenantID: try row.decode("tenant_id"), jobID: jobID, kind: try row.decode("kind"),
                uniqueKey: try row.decode("unique_key"), runID: try row.decode("run_id"), priority: try row.decode("priority"),
                attempts: try row.decode("attempts"), maxAttempts: try row.decode("max_attempts"),
                arguments: try row.decode("args"), slot: try row.decode("slot")))
        }
        return Claim(jobs: jobs, foundCandidate: !rows.isEmpty, fixedHint: try rows.first?.decode("hint_fixed", as: Int.self) == 1)
    }

    /// The claim statement itself (the benchmark runs it through pgbench as a baseline).
    public static func claimStatement(
        worker: UUID, task: Int, batchSize: Int, lease: Duration, kinds: [String], kindsDecideTenant: Bool
    ) -> SQL {
        // A worker's batch size, lease and kinds never change, so they are
        // written into the text rather than bound: PostgreSQL then plans the
        // statement once per session (a generic plan as good as a custom
        // one), where bound values made it plan every claim anew (about as
        // long as the claim itself took).
        let batchSize = "\(max(1, batchSize))"
        let leaseSeconds = "\(lease.seconds)::float8"
        let kindsDecideTenant = kindsDecideTenant ? "true" : "false"
        let kinds = quoteLiteral(kinds.postgresText ?? "{}") + "::text[]"
        return """
            WITH unflushed AS (
                -- The claim's commit does not wait for the disk (nor for a
                -- synchronous standby): with fsync on, 3 runs each, 19,500 →
                -- 21,700 jobs/s (bench/README.md). A claim lost in a crash puts
                -- its jobs back in the queue, as a killed worker's lease would,
                -- and no effect of a job outlives it: the first synchronous
                -- commit after the claim (a sync's write intent, the job's end)
                -- makes the claim durable too, the log being flushed in order.
                -- Ends stay synchronous (async ends measured no faster).
                SELECT set_config('synchronous_commit', 'off', true)
            ),
            candidate AS (
                -- The tenant whose turn it is and its longest-idle free slot.
                -- Tenants come in the order of queue_tenants_turn (sql/017),
                -- sorted before any slot is locked, and the walk stops at the
                -- first one with a free slot no other claim holds: the cost is
                -- that of a few index entries, whatever the number of tenants.
                SELECT s.tenant_id, s.slot, q.version, q.concurrency_cap
                FROM (
                    SELECT q.tenant_id, q.version, t.concurrency_cap
                    FROM queue_tenants q
                    JOIN tenants t ON t.tenant_id = q.tenant_id
                    WHERE q.ready_at IS NOT NULL AND q.turn_at IS NOT NULL AND q.ready_at <= now()
                      AND NOT t.paused
                      -- Only for workers limited to some kinds: skip tenants with
                      -- none of theirs ready. Written as ordered LIMIT 1 so that
                      -- it reads the queued-jobs index, never the table.
                      AND (NOT \(unescaped: kindsDecideTenant) OR (
                            SELECT k.job_id FROM jobs k
                            WHERE k.tenant_id = q.tenant_id AND k.state = 'queued' AND k.run_at <= now()
                              AND k.kind = ANY (\(unescaped: kinds))
                            ORDER BY k.tenant_id, k.priority DESC, k.run_at, k.job_id
                            LIMIT 1) IS NOT NULL)
                    ORDER BY q.top_priority DESC, q.turn_at, q.tenant_id
                    -- More than claims that can be in flight at once on the first ones.
                    LIMIT 128) AS q
                CROSS JOIN LATERAL (
                    SELECT f.tenant_id, f.slot FROM queue_slots f
                    WHERE f.tenant_id = q.tenant_id AND f.holder_worker IS NULL AND f.slot <= q.concurrency_cap
                    ORDER BY f.last_claimed_at, f.slot
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED) AS s
                LIMIT 1
            ),
            share AS (
                -- A short queue is shared among the tenant's free slots
                -- rather than taken whole by one task: R ready jobs (counted
                -- up to batch × cap) over F free slots, this one included,
                -- make batches of at most ceil(R / F).
                SELECT least(\(unescaped: batchSize), greatest(1, ceil(
                           (SELECT count(*) FROM (
                                -- Ordered so that it reads the queued-jobs index: the
                                -- count costs its limit, not the tenant's backlog.
                                SELECT 1 FROM jobs r
                                WHERE r.tenant_id = c.tenant_id AND r.state = 'queued' AND isfinite(r.run_at) AND r.run_at <= now()
                                ORDER BY r.tenant_id, r.run_at
                                LIMIT \(unescaped: batchSize) * c.concurrency_cap) AS ready)::numeric
                           / greatest(1, (SELECT count(*) FROM queue_slots f
                                          WHERE f.tenant_id = c.tenant_id AND f.holder_worker IS NULL
                                            AND f.slot <= c.concurrency_cap)))))::int AS size
                FROM candidate c
            ),
            picked AS (
                -- One tenant, read in index order (jobs_queued_by_tenant: sql/021
                -- keeps the planner from reading the tenant's whole backlog
                -- from jobs_queued_run_at and sorting it): the batch costs its
                -- size, not the length of the backlog. Only the share is
                -- locked: a claim of another slot of the tenant takes the next.
                SELECT j.tenant_id, j.job_id, j.priority, j.run_at, j.run_id, j.deferred_reason, j.run_alone
                FROM jobs j
                WHERE j.tenant_id = (SELECT tenant_id FROM candidate)
                  AND j.state = 'queued' AND j.run_at <= now()
                  AND j.kind = ANY (\(unescaped: kinds))
                ORDER BY j.priority DESC, j.run_at, j.job_id
                LIMIT (SELECT size FROM share)
                FOR UPDATE OF j SKIP LOCKED
            ),
            first_job AS (
                SELECT job_id, run_alone FROM picked ORDER BY priority DESC, run_at, job_id LIMIT 1
            ),
            batch AS (
                -- A job lost with its worker in a batch runs alone next (sql/015):
                -- alone if it comes first, left for a later claim otherwise.
                SELECT p.* FROM picked p, first_job f
                WHERE CASE WHEN f.run_alone THEN p.job_id = f.job_id ELSE NOT p.run_alone END
            ),
            slot_taken AS (
                UPDATE queue_slots s
                SET holder_worker = \(worker), holder_task = \(task),
                    lease_expires_at = now() + make_interval(secs => \(unescaped: leaseSeconds)), last_claimed_at = now()
                FROM candidate c, unflushed
                WHERE s.tenant_id = c.tenant_id AND s.slot = c.slot AND EXISTS (SELECT 1 FROM batch)
            ),
            uncounted AS (
                -- The claim counts its batch out of queued_job_counts itself
                -- (sql/008: the row trigger passes claims over), in its own
                -- slot's rows (sql/024): no other claim writes them, so claims
                -- of one tenant never wait for each other here.
                INSERT INTO queued_job_counts AS q (tenant_id, run_id, slot, queued, deferred)
                SELECT c.tenant_id, p.run_id, c.slot, -p.jobs, -p.deferred
                FROM candidate c,
                     (SELECT coalesce(run_id, 0) AS run_id, count(*)::int AS jobs,
                             count(*) FILTER (WHERE deferred_reason IS NOT NULL)::int AS deferred
                      FROM batch GROUP BY 1) AS p
                ORDER BY p.run_id
                ON CONFLICT (tenant_id, run_id, slot) DO UPDATE
                SET queued = q.queued + excluded.queued, deferred = q.deferred + excluded.deferred
            ),
            rest AS (
                SELECT (SELECT r.run_at FROM jobs r
                        WHERE r.tenant_id = c.tenant_id AND r.state = 'queued' AND isfinite(r.run_at)
                          AND r.job_id NOT IN (SELECT job_id FROM batch)
                        ORDER BY r.tenant_id, r.run_at LIMIT 1) AS ready_at,
                       (SELECT r.priority FROM jobs r
                        WHERE r.tenant_id = c.tenant_id AND r.state = 'queued'
                          AND r.job_id NOT IN (SELECT job_id FROM batch)
                        ORDER BY r.tenant_id, r.priority DESC, r.run_at, r.job_id LIMIT 1) AS top_priority
                FROM candidate c
            ),
            hint_fixed AS (
                -- Only when the tenant has no ready job left or its best
                -- priority fell, and only if nothing was queued meanwhile.
                UPDATE queue_tenants q
                SET ready_at = rest.ready_at, top_priority = coalesce(rest.top_priority, 0)
                FROM candidate c, rest
                WHERE q.tenant_id = c.tenant_id AND q.version = c.version
                  AND (rest.ready_at IS NULL OR rest.ready_at > now() OR rest.top_priority < q.top_priority)
                RETURNING q.tenant_id
            ),
            claimed AS (
                UPDATE jobs j
                SET state = 'running', worker_id = \(worker), slot = c.slot,
                    lease_expires_at = now() + make_interval(secs => \(unescaped: leaseSeconds)),
                    started_at = now(), attempts = j.attempts + 1, deferred_reason = NULL
                FROM candidate c
                -- An array of ids, not a join: the planner cannot know the batch's
                -- size (a limit computed in the statement) and, taking it for a
                -- tenth of the backlog, hashed the whole jobs table to update 50 rows.
                WHERE j.tenant_id = c.tenant_id AND j.job_id = ANY (ARRAY(SELECT job_id FROM batch))
                RETURNING j.tenant_id, j.job_id, j.kind, j.unique_key, j.run_id, j.priority, j.run_at,
                          j.attempts, j.max_attempts, j.args::text AS args, j.slot
            )
            SELECT c.tenant_id AS candidate_tenant, (SELECT count(*) FROM hint_fixed)::int AS hint_fixed, claimed.*
            FROM candidate c LEFT JOIN claimed ON true
            ORDER BY claimed.priority DESC, claimed.run_at, claimed.job_id
            """
    }
}
