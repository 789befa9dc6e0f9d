import Postgres

/// The dashboard benchmark's data set, generated set-based in SQL: tenants
/// whose daily runs start at times spread over the last 24 hours, so that
/// some are still running; five runs each, a day apart, plus a Sync Now for
/// every tenth tenant; the jobs of each tenant's latest run (older ones were
/// pruned); a result for every finished job; Autotask request counts for the
/// latest runs; twelve workers, one of them stale.
///
/// Outcomes come from a hash of (tenant, organization, product), mostly the
/// same every day as real problems are, with a little daily noise:
/// organizations 49 and 50 are unmapped (skipped), about 1.5 % fail,
/// 0.8 % are held, 2 % are skipped for usage or mapping; the rest succeed.
struct DashboardData {
    var tenants: Int
    var organizations: Int

    func generate(on db: Connection) async throws {
        // Seconds between two tenants' latest runs: the whole set spans a day.
        let spread = 86_400.0 / Double(tenants)
        try await db.executeScript("TRUNCATE tenants, workers CASCADE", name: "reset")
        try await db.execute("""
            INSERT INTO tenants (tenant_id, slug, name, autotask_username, autotask_integration_code, time_zone,
                                 schedule_kind, schedule_day, schedule_time, created_at)
            SELECT g, 'bench-' || g, 'Bench MSP ' || g, 'api' || g || '@bench.example', 'CODE',
                   (ARRAY['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin',
                          'Australia/Sydney', 'Asia/Kolkata'])[1 + g % 7],
                   CASE WHEN g % 10 = 0 THEN 'manual' WHEN g % 10 = 1 THEN 'monthly' ELSE 'daily' END,
                   CASE WHEN g % 10 = 1 THEN 1 + g % 31 END,
                   make_time(g % 24, (g * 7) % 60, 0), now() - interval '90 days'
            FROM generate_series(1, \(tenants)) g
            """, name: "generate tenants")
        try await db.execute("SELECT setval(pg_get_serial_sequence('tenants', 'tenant_id'), \(tenants))")
        try await db.execute("""
            INSERT INTO organizations (tenant_id, organization_id, name, company_id, contract_id)
            SELECT t, o, 'Customer ' || o, CASE WHEN o <> 50 THEN 1000 + o END, CASE WHEN o < 49 THEN 5000 + o END
            FROM generate_series(1, \(tenants)) t, generate_series(1, \(organizations)) o
            """, name: "generate organizations")
        try await db.execute("""
            INSERT INTO service_mappings (tenant_id, product, service_id)
            SELECT t, p.product, CASE p.product WHEN 'edr' THEN 11 ELSE 12 END
            FROM generate_series(1, \(tenants)) t, products p
            WHERE p.product = 'edr' OR t % 20 <> 0
            """, name: "generate service mappings")
        try await db.execute("""
            INSERT INTO usage (tenant_id, organization_id, product, units, source, observed_at)
            SELECT t, o, p.product, 10 + (t + o) % 40, 'huntress', now() - interval '3 hours'
            FROM generate_series(1, \(tenants)) t, generate_series(1, \(organizations)) o, products p
            """, name: "generate usage")
        try await db.execute("""
            CREATE TEMP TABLE bench_runs AS
            -- Run ids grow with creation time, as identity ids do: daily k days ago
            -- is t·10 + 9 − 2k, the Sync Now of 60 hours ago t·10 + 4.
            SELECT t AS tenant_id, t * 10 + 9 - 2 * k AS run_id, 'daily'::text AS trigger,
                   now() - make_interval(secs => t * \(spread)::float8) - k * interval '1 day' AS created_at, k
            FROM generate_series(1, \(tenants)) t, generate_series(0, 4) k
            UNION ALL
            SELECT t, t * 10 + 4, 'sync_now', now() - make_interval(secs => t * \(spread)::float8) - interval '60 hours', 9
            FROM generate_series(3, \(tenants), 10) t
            """, name: "plan runs")
        try await db.execute("""
            INSERT INTO runs (tenant_id, run_id, trigger, due_at, created_at, job_count)
            SELECT r.tenant_id, r.run_id, r.trigger, CASE WHEN r.trigger <> 'sync_now' THEN r.created_at END, r.created_at,
                   \(organizations) * (SELECT count(*) FROM products)
            FROM bench_runs r
            """, name: "generate runs")
        try await db.execute("SELECT setval(pg_get_serial_sequence('runs', 'run_id'), \(tenants * 10 + 10))")
        // Each (run, organization, product): its outcome and when it finishes (20 s apart within a run).
        try await db.execute("""
            CREATE TEMP TABLE bench_items AS
            SELECT i.*,
                   CASE WHEN organization_id >= 49 THEN 'skipped'
                        WHEN h < 12 OR daily < 3 THEN 'failed'
                        WHEN h < 20 THEN 'held'
                        WHEN h < 40 THEN 'skipped'
                        ELSE 'succeeded' END AS outcome,
                   CASE WHEN organization_id >= 49 THEN 'organization_not_mapped'
                        WHEN h < 12 OR daily < 3 THEN (ARRAY['service_not_on_contract', 'contract_expired', 'contract_inactive',
                                                             'missing_permission', 'server_error', 'timeout'])[1 + (h + daily) % 6]
                        WHEN h < 20 THEN (ARRAY['guard_drop', 'guard_zero'])[1 + h % 2]
                        WHEN h < 40 THEN (ARRAY['no_usage', 'usage_stale', 'product_not_mapped'])[1 + h % 3]
                        WHEN h % 3 = 0 THEN 'adjusted' ELSE 'unchanged' END AS reason_code
            FROM (
                SELECT r.tenant_id, r.run_id, r.k, o AS organization_id, p.product, p.n,
                       hashint4(r.tenant_id * 64 + o * 2 + p.n) & 1023 AS h,
                       hashint4(r.run_id::int * 128 + o * 2 + p.n) & 1023 AS daily,
                       r.created_at + make_interval(secs => (o * 2 + p.n) * 20 + 5) AS finishes_at
                FROM bench_runs r, generate_series(1, \(organizations)) o,
                     (SELECT product, (row_number() OVER (ORDER BY product) - 1)::int AS n FROM products) p) AS i
            """, name: "plan items")
        try await db.execute("""
            INSERT INTO workers (worker_id, host, pid, concurrency, kinds, version, started_at, heartbeat_at)
            SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'worker-' || g, 1000 + g, 8, '{sync}', 'bench',
                   now() - interval '3 hours', now() - CASE WHEN g = 12 THEN interval '5 minutes' ELSE interval '4 seconds' END
            FROM generate_series(1, 12) g
            """, name: "generate workers")
        // The latest run's jobs: finished, or running (due to finish within a minute), or queued
        // (every seventh tenant's deferred: its budget is spent).
        try await db.execute("""
            INSERT INTO jobs (tenant_id, job_id, kind, unique_key, run_id, priority, state, args, run_at, attempts, worker_id,
                              lease_expires_at, deferred_reason, last_error, outcome_message, created_at, started_at, finished_at, slot)
            SELECT tenant_id, run_id * 1000 + organization_id * 2 + n, 'sync', tally_sync_job_key(run_id, organization_id, product), run_id, 0,
                   CASE WHEN finishes_at <= now() THEN outcome
                        WHEN finishes_at <= now() + interval '1 minute' THEN 'running' ELSE 'queued' END,
                   jsonb_build_object('organization_id', organization_id, 'product', product),
                   CASE WHEN finishes_at > now() + interval '1 minute' AND tenant_id % 7 = 0 THEN now() + interval '10 minutes'
                        ELSE created_at END,
                   CASE WHEN finishes_at <= now() + interval '1 minute' THEN 1 ELSE 0 END,
                   CASE WHEN finishes_at > now() AND finishes_at <= now() + interval '1 minute'
                        THEN ('00000000-0000-0000-0000-' || lpad((1 + tenant_id % 12)::text, 12, '0'))::uuid END,
                   CASE WHEN finishes_at > now() AND finishes_at <= now() + interval '1 minute' THEN now() + interval '30 seconds' END,
                   CASE WHEN finishes_at > now() + interval '1 minute' AND tenant_id % 7 = 0
                        THEN 'the tenant''s Autotask request budget is spent (5000 of 5000 requests in the past hour)' END,
                   CASE WHEN finishes_at <= now() AND outcome = 'failed' THEN reason_code || ': what went wrong and what to fix' END,
                   CASE WHEN finishes_at <= now() AND outcome IN ('skipped', 'held') THEN reason_code || ': what went wrong and what to fix' END,
                   created_at,
                   CASE WHEN finishes_at <= now() + interval '1 minute' THEN finishes_at - make_interval(secs => 0.2 + (h % 20) / 10.0) END,
                   CASE WHEN finishes_at <= now() THEN finishes_at END,
                   CASE WHEN finishes_at > now() AND finishes_at <= now() + interval '1 minute' THEN 1 END
            FROM bench_items JOIN bench_runs USING (tenant_id, run_id, k)
            WHERE k = 0
            ORDER BY tenant_id, run_id, organization_id, product
            """, name: "generate jobs")
        try await db.execute("SELECT setval(pg_get_serial_sequence('jobs', 'job_id'), \(Int64(tenants) * 10_000_000))")
        try await db.execute("""
            INSERT INTO results (tenant_id, job_id, run_id, organization_id, product, outcome, reason_code, message,
                                 contract_id, service_id, units_before, target_units, units_after, adjustment_id, attempts, started_at, finished_at)
            SELECT tenant_id, run_id * 1000 + organization_id * 2 + n, run_id, organization_id, product, outcome, reason_code,
                   CASE WHEN outcome = 'succeeded' THEN '' ELSE reason_code || ': what went wrong and what to fix' END,
                   CASE WHEN organization_id < 49 THEN 5000 + organization_id END, 11 + n,
                   CASE WHEN outcome IN ('succeeded', 'held') THEN 20 + h % 30 END,
                   CASE WHEN outcome = 'succeeded' THEN 20 + h % 30 + (reason_code = 'adjusted')::int
                        WHEN reason_code = 'guard_zero' THEN 0 WHEN reason_code = 'guard_drop' THEN (20 + h % 30) / 3 END,
                   CASE WHEN outcome = 'succeeded' THEN 20 + h % 30 + (reason_code = 'adjusted')::int END,
                   CASE WHEN reason_code = 'adjusted' THEN run_id * 1000 + organization_id * 2 + n END,
                   1, finishes_at - make_interval(secs => 0.2 + (h % 20) / 10.0), finishes_at
            FROM bench_items WHERE finishes_at <= now()
            ORDER BY finishes_at
            """, name: "generate results")
        try await db.execute("""
            INSERT INTO autotask_request_counts (tenant_id, minute, requests, errors)
            SELECT r.tenant_id, date_trunc('minute', r.created_at) + m * interval '1 minute',
                   CASE WHEN r.tenant_id % 500 = 0 THEN 140 ELSE 3 + (r.tenant_id + m) % 5 END,
                   CASE WHEN (r.tenant_id + m) % 50 = 0 THEN 1 ELSE 0 END
            FROM bench_runs r, generate_series(0, 34) m
            WHERE r.k = 0 AND date_trunc('minute', r.created_at) + m * interval '1 minute' <= now()
            """, name: "generate request counts")
        try await db.executeScript("DROP TABLE bench_items, bench_runs", name: "drop plans")
    }
}
