import Foundation
public import Postgres

/// A small cluster for the dashboard views, written with SQL, its times
/// relative to now():
///
/// * acme (1): daily at 02:00 New York, budget 1,000/h; organizations Alpha
///   (1), Beta (2), Gamma (3, no company), Delta (4, no contract). Run 1, two
///   days ago: Alpha edr unchanged, Alpha m365 failed, Beta edr unchanged.
///   Run 2, an hour ago: Alpha edr adjusted 20 → 25, Alpha m365 failed
///   (service not on contract), Beta edr held (drop 10 → 5), Gamma edr
///   skipped (not mapped). 500 Autotask requests in the past hour (and 999
///   two hours ago).
/// * globex (2): monthly on the 31st at 06:30 UTC; Omega (1). Run 3, 30 min
///   ago: Omega edr failed (missing permission). Run 4, 5 min ago: one job
///   running on host-a, one queued and deferred (budget). 50 requests.
/// * initech (3): manual and paused, nothing run.
/// * Workers host-a (heartbeat 5 s ago, holds globex's job and slot) and
///   host-b (silent for 5 minutes: stale).
public enum DashboardFixture {
    public static let sql = """
        INSERT INTO tenants (tenant_id, slug, name, autotask_username, autotask_integration_code, time_zone,
                             schedule_kind, schedule_day, schedule_time, hourly_request_budget, paused)
        VALUES (1, 'acme', 'Acme MSP', 'api@acme.example', 'IC-ACME-0001', 'America/New_York', 'daily', NULL, '02:00', 1000, false),
               (2, 'globex', 'Globex MSP', 'api@globex.example', 'IC-GLOBEX-0002', 'UTC', 'monthly', 31, '06:30', 5000, false),
               (3, 'initech', 'Initech MSP', 'api@initech.example', 'IC-INITECH-0003', 'Europe/Berlin', 'manual', NULL, '02:00', 5000, true);
        SELECT setval(pg_get_serial_sequence('tenants', 'tenant_id'), 3);
        INSERT INTO tenant_secrets (tenant_id, kind, sealed, key_id)
        VALUES (1, 'autotask_secret', decode(repeat('5a', 40), 'hex'), 'test-key');
        INSERT INTO notify_destinations (tenant_id, name, kind, host, failing_since, failures, last_error)
        VALUES (1, 'billing-slack', 'slack', 'hooks.slack.com', now() - interval '2 hours', 3, 'HTTP 500: internal_error');

        INSERT INTO organizations (tenant_id, organization_id, name, company_id, contract_id)
        VALUES (1, 1, 'Alpha', 10, 100), (1, 2, 'Beta', 20, 200), (1, 3, 'Gamma', NULL, NULL), (1, 4, 'Delta', 40, NULL),
               (2, 1, 'Omega', 10, 100);
        INSERT INTO usage (tenant_id, organization_id, product, units, source, observed_at)
        VALUES (1, 1, 'edr', 25, 'manual', now()), (1, 1, 'm365', 10, 'manual', now()), (1, 2, 'edr', 5, 'manual', now()),
               (1, 3, 'edr', 7, 'manual', now()), (2, 1, 'edr', 3, 'manual', now());

        INSERT INTO runs (tenant_id, run_id, trigger, due_at, created_at, job_count)
        VALUES (1, 1, 'daily', now() - interval '2 days', now() - interval '2 days', 3),
               (1, 2, 'daily', now() - interval '1 hour', now() - interval '1 hour', 4),
               (2, 3, 'sync_now', NULL, now() - interval '30 minutes', 1),
               (2, 4, 'sync_now', NULL, now() - interval '5 minutes', 2);
        SELECT setval(pg_get_serial_sequence('runs', 'run_id'), 4);

        INSERT INTO workers (worker_id, host, pid, concurrency, kinds, version, started_at, heartbeat_at)
        VALUES ('00000000-0000-0000-0000-00000000000a', 'host-a', 101, 4, '{sync}', 'test', now() - interval '1 hour', now() - interval '5 seconds'),
               ('00000000-0000-0000-0000-00000000000b', 'host-b', 202, 4, '{}', 'test', now() - interval '1 hour', now() - interval '5 minutes');
        UPDATE queue_slots SET holder_worker = '00000000-0000-0000-0000-00000000000a', holder_task = 0,
                               lease_expires_at = now() + interval '30 seconds'
        WHERE tenant_id = 2 AND slot = 1;

        -- The jobs of runs 2–4 (those of run 1 were pruned).
        INSERT INTO jobs (tenant_id, job_id, kind, unique_key, run_id, state, args, attempts, created_at, run_at,
                          started_at, finished_at, last_error, outcome_message, worker_id, lease_expires_at, slot, deferred_reason)
        VALUES
            (1, 21, 'sync', 'sync:2:1:edr', 2, 'succeeded', '{"organization_id": 1, "product": "edr"}', 1,
             now() - interval '1 hour', now() - interval '1 hour',
             now() - interval '50 minutes 2 seconds', now() - interval '50 minutes', NULL, NULL, NULL, NULL, NULL, NULL),
            (1, 22, 'sync', 'sync:2:1:m365', 2, 'failed', '{"organization_id": 1, "product": "m365"}', 1,
             now() - interval '1 hour', now() - interval '1 hour',
             now() - interval '50 minutes 1 second', now() - interval '50 minutes',
             'service 12 is not on contract 100 of organization “Alpha” (1): add it to the contract in Autotask', NULL, NULL, NULL, NULL, NULL),
            (1, 23, 'sync', 'sync:2:2:edr', 2, 'held', '{"organization_id": 2, "product": "edr"}', 1,
             now() - interval '1 hour', now() - interval '1 hour',
             now() - interval '49 minutes 4 seconds', now() - interval '49 minutes', NULL,
             'edr units of organization “Beta” (2) would drop from 10 to 5 (−50 %)', NULL, NULL, NULL, NULL),
            (1, 24, 'sync', 'sync:2:3:edr', 2, 'skipped', '{"organization_id": 3, "product": "edr"}', 1,
             now() - interval '1 hour', now() - interval '1 hour',
             now() - interval '48 minutes 1 second', now() - interval '48 minutes', NULL,
             'organization “Gamma” (3) is not mapped to an Autotask contract', NULL, NULL, NULL, NULL),
            (2, 31, 'sync', 'sync:3:1:edr', 3, 'failed', '{"organization_id": 1, "product": "edr"}', 1,
             now() - interval '30 minutes', now() - interval '30 minutes',
             now() - interval '25 minutes 3 seconds', now() - interval '25 minutes',
             'the Autotask API user lacks permission to read Contracts', NULL, NULL, NULL, NULL, NULL),
            (2, 41, 'sync', 'sync:4:1:edr', 4, 'running', '{"organization_id": 1, "product": "edr"}', 1,
             now() - interval '5 minutes', now() - interval '5 minutes', now() - interval '10 seconds', NULL, NULL, NULL,
             '00000000-0000-0000-0000-00000000000a', now() + interval '30 seconds', 1, NULL),
            (2, 42, 'sync', 'sync:4:1:m365', 4, 'queued', '{"organization_id": 1, "product": "m365"}', 0,
             now() - interval '5 minutes', now() + interval '10 minutes', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             'the tenant''s Autotask request budget is spent (5000 of 5000 requests in the past hour)');

        INSERT INTO results (tenant_id, job_id, run_id, organization_id, product, outcome, reason_code, message, contract_id,
                             service_id, units_before, target_units, units_after, adjustment_id, attempts, started_at, finished_at)
        VALUES
            (1, 11, 1, 1, 'edr', 'succeeded', 'unchanged', '', 100, 11, 20, 20, 20, NULL, 1,
             now() - interval '2 days' + interval '59 seconds', now() - interval '2 days' + interval '1 minute'),
            (1, 12, 1, 1, 'm365', 'failed', 'service_not_on_contract',
             'service 12 is not on contract 100 of organization “Alpha” (1): add it to the contract in Autotask', 100, 12,
             NULL, 10, NULL, NULL, 1, now() - interval '2 days' + interval '59 seconds', now() - interval '2 days' + interval '1 minute'),
            (1, 13, 1, 2, 'edr', 'succeeded', 'unchanged', '', 200, 11, 10, 10, 10, NULL, 1,
             now() - interval '2 days' + interval '119 seconds', now() - interval '2 days' + interval '2 minutes'),
            (1, 21, 2, 1, 'edr', 'succeeded', 'adjusted', '', 100, 11, 20, 25, 25, 5001, 1,
             now() - interval '50 minutes 2 seconds', now() - interval '50 minutes'),
            (1, 22, 2, 1, 'm365', 'failed', 'service_not_on_contract',
             'service 12 is not on contract 100 of organization “Alpha” (1): add it to the contract in Autotask', 100, 12,
             NULL, 10, NULL, NULL, 1, now() - interval '50 minutes 1 second', now() - interval '50 minutes'),
            (1, 23, 2, 2, 'edr', 'held', 'guard_drop', 'edr units of organization “Beta” (2) would drop from 10 to 5 (−50 %)',
             200, 11, 10, 5, NULL, NULL, 1, now() - interval '49 minutes 4 seconds', now() - interval '49 minutes'),
            (1, 24, 2, 3, 'edr', 'skipped', 'organization_not_mapped', 'organization “Gamma” (3) is not mapped to an Autotask contract',
             NULL, NULL, NULL, NULL, NULL, NULL, 1, now() - interval '48 minutes 1 second', now() - interval '48 minutes'),
            (2, 31, 3, 1, 'edr', 'failed', 'missing_permission', 'the Autotask API user lacks permission to read Contracts',
             100, 11, NULL, 3, NULL, NULL, 1, now() - interval '25 minutes 3 seconds', now() - interval '25 minutes');

        INSERT INTO autotask_request_counts (tenant_id, minute, requests, errors)
        VALUES (1, date_trunc('minute', now()) - interval '10 minutes', 300, 2),
               (1, date_trunc('minute', now()) - interval '20 minutes', 200, 0),
               (1, date_trunc('minute', now()) - interval '2 hours', 999, 0),
               (2, date_trunc('minute', now()) - interval '3 minutes', 50, 1);
        """

    /// The eight views of sql/005_dashboard.sql.
    public static let views = ["sync_status", "runs", "queue", "failures", "workers", "throughput", "tenants", "unmapped", "run_changes", "notify_destinations"]

    public static func load(on connection: Connection) async throws {
        _ = try await connection.executeScript(sql, name: "dashboard fixture")
    }
}
