import Foundation
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Run alerts to Slack, Teams and a signed webhook (issue 20), delivered by
/// `notify` jobs to tally-sim's webhook sink.
@Suite(.serialized)
struct AlertTests {
    static let signingSecret = "whsec-0123456789abcdef"

    /// One organization's contract is gone (a failure), another's usage dropped to 0 (held).
    static func makeAFailureAndAHeldChange(_ fixture: SyncFixture) async throws {
        let tenant = fixture.tenantIDs[0]
        try await fixture.connection.execute("UPDATE organizations SET contract_id = 999999 WHERE tenant_id = \(tenant) AND organization_id = 1")
        try await fixture.connection.execute("UPDATE usage SET units = 0 WHERE tenant_id = \(tenant) AND organization_id = 2 AND product = 'edr'")
    }

    static func addDestinations(_ fixture: SyncFixture, kinds: [NotifyDestination.Kind] = NotifyDestination.Kind.allCases) async throws {
        for kind in kinds {
            _ = try await NotifyDestinations.add(
                tenantID: fixture.tenantIDs[0], name: "to-\(kind.rawValue)", kind: kind, url: fixture.simulator.hookURL(kind.rawValue),
                signingSecret: kind == .webhook ? signingSecret : nil, events: nil, key: SyncFixture.secretKey, on: fixture.connection)
        }
    }

    @Test func aRunThatEndedWithAFailureAndAHeldChangeAlertsEachDestinationOnceInItsFormat() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            try await Self.addDestinations(fixture)
            try await Self.makeAFailureAndAHeldChange(fixture)
            let workers = try fixture.startWorkers(1)
            let run = try await Runs.syncNow(tenantID: fixture.tenantIDs[0], on: fixture.connection)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            let swept = try await AlertSweep.sweep(on: fixture.connection)
            #expect(swept.alerts == 1 && swept.deliveries == 3, "\(swept)")
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            #expect(try await AlertSweep.sweep(on: fixture.connection).alerts == 0, "a run alerts once")
            await workers.stopAll()
            let state = fixture.simulator.state
            let heldJob = try await Fixtures.count(
                "SELECT job_id::int AS n FROM results WHERE run_id = \(run.runID) AND outcome = 'held'", on: fixture.connection)

            let slack = await state.hookDeliveries("slack")
            try #require(slack.count == 1)
            let slackJSON = try #require(try JSONSerialization.jsonObject(with: Data(slack[0].body.utf8)) as? [String: Any])
            let text = try #require(slackJSON["text"] as? String)
            #expect(text.contains("finished with 2 failures and 1 change held for approval"), "\(text)")
            #expect(text.contains("2 × contract_not_found"), "\(text)")
            #expect(text.contains("tally jobs approve msp-1 \(heldJob) --by NAME"), "\(text)")
            #expect(text.contains("tally status msp-1"), "\(text)")
            #expect((slackJSON["blocks"] as? [[String: Any]])?.first?["type"] as? String == "header")

            let teams = await state.hookDeliveries("teams")
            try #require(teams.count == 1)
            let teamsJSON = try #require(try JSONSerialization.jsonObject(with: Data(teams[0].body.utf8)) as? [String: Any])
            #expect(teamsJSON["type"] as? String == "message")
            let attachment = try #require((teamsJSON["attachments"] as? [[String: Any]])?.first)
            #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
            #expect((attachment["content"] as? [String: Any])?["type"] as? String == "AdaptiveCard")

            let hooks = await state.hookDeliveries("webhook")
            try #require(hooks.count == 1)
            let hook = hooks[0]
            let key = try #require(hook.headers["idempotency-key"])
            let timestamp = try #require(hook.headers["x-tally-timestamp"].flatMap { Int($0) })
            let signature = try #require(hook.headers["x-tally-signature"])
            #expect(WebhookSignature.verify(body: Data(hook.body.utf8), timestamp: timestamp, signature: signature, secret: Self.signingSecret))
            #expect(!WebhookSignature.verify(body: Data((hook.body + " ").utf8), timestamp: timestamp, signature: signature, secret: Self.signingSecret),
                    "a changed body does not verify")
            #expect(!WebhookSignature.verify(
                body: Data(hook.body.utf8), timestamp: timestamp, signature: signature, secret: Self.signingSecret,
                now: Date(timeIntervalSince1970: Double(timestamp + 600))), "a replay ten minutes later is refused")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any])
            #expect(body["idempotency_key"] as? String == key)
            let alert = try #require(body["alert"] as? [String: Any])
            #expect(alert["run_id"] as? Int == Int(run.runID))
            #expect((alert["causes"] as? [[String: Any]])?.first?["reason_code"] as? String == "contract_not_found")
            #expect(!hook.body.contains(fixture.simulator.hookURL("webhook")), "the URL is not in the message")

            let rows = try await fixture.connection.query("SELECT state, failures FROM dashboard.notify_destinations")
            #expect(rows.count == 3)
            for row in rows { #expect(try row.decode("state", as: String.self) == "ok") }
        }
    }

    /// A destination answering 500 is retried with back-off and shows as
    /// failing on the dashboard; the tenant's next run syncs meanwhile; once
    /// it answers again, the alert arrives once and the destination is ok.
    @Test func aFailingDestinationBacksOffShowsOnTheDashboardAndNeverHoldsUpSyncs() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let connection = fixture.connection
            try await Self.addDestinations(fixture, kinds: [.slack])
            await fixture.simulator.state.setHookBehaviour("slack", HookSink.Behaviour(status: 500))
            try await Self.makeAFailureAndAHeldChange(fixture)
            let workers = try fixture.startWorkers(1, arguments: ["--concurrency", "2", "--retry-base-seconds", "0.5"])
            _ = try await Runs.syncNow(tenantID: fixture.tenantIDs[0], on: connection)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            #expect(try await AlertSweep.sweep(on: connection).deliveries == 1)
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM dashboard.notify_destinations WHERE state = 'failing' AND failures >= 2", toBe: 1,
                on: connection, timeout: .seconds(30)))
            let error: String = try await connection.query("SELECT last_error FROM dashboard.notify_destinations")[0].decode("last_error")
            #expect(error == "HTTP 500: invalid_token", "the status and the destination's short error code: \(error)")

            // A second run of the tenant finishes while the alert waits to be retried.
            try await connection.execute("UPDATE usage SET units = units + 1 WHERE organization_id = 3")
            let second = try await Runs.syncNow(tenantID: fixture.tenantIDs[0], on: connection)
            #expect(try await Fixtures.waitFor("""
                SELECT count(*)::int AS n FROM jobs WHERE run_id = \(second.runID) AND state IN ('queued', 'running')
                """, toBe: 0, on: connection, timeout: .seconds(30)))
            #expect(try await Fixtures.count(
                "SELECT count(*)::int AS n FROM jobs WHERE kind = 'notify' AND state IN ('queued', 'running')", on: connection) == 1,
                "still retrying (queued, or running its next attempt)")

            await fixture.simulator.state.setHookBehaviour("slack", HookSink.Behaviour(status: 200))
            #expect(try await Fixtures.waitFor(
                "SELECT count(*)::int AS n FROM dashboard.notify_destinations WHERE state = 'ok' AND last_delivered_at IS NOT NULL", toBe: 1,
                on: connection, timeout: .seconds(60)))
            await workers.stopAll()
            let received = await fixture.simulator.state.hookDeliveries("slack")
            #expect(received.count >= 3, "two or more refused, then one delivered: \(received.count)")
        }
    }

    /// The worker dies while the destinations hold the request open. The
    /// webhook's alert is sent again after the lease runs out, with the same
    /// idempotency key (its receiver keeps one); Slack's is not sent again.
    @Test func aWorkerKilledDuringDeliveryDeliversOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let connection = fixture.connection
            let state = fixture.simulator.state
            try await Self.addDestinations(fixture, kinds: [.slack, .webhook])
            try await Self.makeAFailureAndAHeldChange(fixture)
            let arguments = ["--concurrency", "4", "--lease-seconds", "2", "--retry-base-seconds", "0.2"]
            var workers = try fixture.startWorkers(1, arguments: arguments)
            _ = try await Runs.syncNow(tenantID: fixture.tenantIDs[0], on: connection)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            for hook in ["slack", "webhook"] { await state.setHookBehaviour(hook, HookSink.Behaviour(status: 200, delayMilliseconds: 5_000)) }
            #expect(try await AlertSweep.sweep(on: connection).deliveries == 2)
            #expect(try await TestDatabase.waitUntil(timeout: .seconds(30)) {
                let slack = await state.hookDeliveries("slack").count, webhook = await state.hookDeliveries("webhook").count
                return slack == 1 && webhook == 1
            })
            workers[0].signal(SIGKILL)
            _ = await workers[0].waitForExit()
            for hook in ["slack", "webhook"] { await state.setHookBehaviour(hook, HookSink.Behaviour()) }
            workers[0] = try WorkerProcess(fixture.configuration, arguments: arguments, environment: fixture.workerEnvironment)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(60)))
            await workers.stopAll()

            let webhook = await state.hookDeliveries("webhook")
            #expect(webhook.count == 2, "sent again after the kill")
            #expect(Set(webhook.compactMap { $0.headers["idempotency-key"] }).count == 1, "with the same key: the receiver keeps one")
            let slackCount = await state.hookDeliveries("slack").count
            #expect(slackCount == 1, "Slack cannot deduplicate: not sent again")
            let outcomes = try await connection.query("""
                SELECT d.kind, j.state, j.outcome_message FROM jobs j JOIN notify_destinations d ON d.destination_id = (j.args->>'destination_id')::bigint
                WHERE j.kind = 'notify' ORDER BY d.kind
                """)
            try #require(outcomes.count == 2)
            #expect(try outcomes[0].decode("outcome_message", as: String?.self)?.contains("not sent again") == true)
            #expect(try outcomes[1].decode("state", as: String.self) == "succeeded")
        }
    }

    /// A run still in its refresh phase has not ended, even with no job left
    /// (its refresh job died on its last attempt): its syncs start next, and
    /// the alert waits for them. A destination removed before its alert was
    /// sent: the alert is skipped, not retried.
    @Test func aRefreshingRunWaitsAndARemovedDestinationsAlertIsSkipped() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await Self.addDestinations(fixture, kinds: [.slack])
            try await Self.makeAFailureAndAHeldChange(fixture)
            let run = try await Runs.syncNow(tenantID: tenant, on: connection)
            try await connection.execute("UPDATE runs SET phase = 'refreshing' WHERE run_id = \(run.runID)")
            try await connection.execute("UPDATE jobs SET state = 'failed', finished_at = now(), last_error = 'the refresh died' WHERE run_id = \(run.runID)")
            #expect(try await AlertSweep.sweep(on: connection).runsChecked == 0, "still refreshing")
            try await connection.execute("UPDATE runs SET phase = 'syncing' WHERE run_id = \(run.runID)")
            let swept = try await AlertSweep.sweep(on: connection)
            #expect(swept.runsChecked == 1 && swept.deliveries == 1, "\(swept)")

            #expect(try await NotifyDestinations.remove(tenantID: tenant, name: "to-slack", on: connection))
            let workers = try fixture.startWorkers(1)
            #expect(try await fixture.waitForQuietQueue(timeout: .seconds(30)))
            await workers.stopAll()
            let ended = try await connection.query("SELECT state, outcome_message FROM jobs WHERE kind = 'notify'")
            try #require(ended.count == 1)
            #expect(try ended[0].decode("state", as: String.self) == "skipped")
            #expect(try ended[0].decode("outcome_message", as: String?.self) == "the destination was removed")
            #expect(await fixture.simulator.state.hookDeliveries("slack").isEmpty)
        }
    }

    /// A scheduled run nobody started 15 minutes after it was due, and a run
    /// waiting on the budget for over an hour, each alert once.
    @Test func aRunNotStartedWhenDueAndOneWaitingOnTheBudgetEachAlertOnce() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let connection = fixture.connection
            let tenant = fixture.tenantIDs[0]
            try await Self.addDestinations(fixture, kinds: [.slack])
            let missed = try await Runs.syncNow(tenantID: tenant, on: connection)
            try await connection.execute("""
                UPDATE runs SET trigger = 'daily', due_at = now() - interval '20 minutes', requested_by = NULL
                WHERE run_id = \(missed.runID)
                """)
            #expect(try await AlertSweep.sweep(on: connection).alerts == 1)
            #expect(try await AlertSweep.sweep(on: connection).alerts == 0, "once")
            try await connection.execute("""
                UPDATE jobs SET started_at = now() - interval '1 hour', deferred_reason = 'the tenant''s Autotask request budget is spent (20 of 20 requests in the past hour)'
                WHERE run_id = \(missed.runID)
                """)
            try await connection.execute("UPDATE runs SET due_at = now() - interval '2 hours' WHERE run_id = \(missed.runID)")
            #expect(try await AlertSweep.sweep(on: connection).alerts == 1)
            let alerts = try await connection.query("SELECT alert FROM run_alerts ORDER BY alert").map { try $0.decode("alert", as: String.self) }
            #expect(alerts == ["budget", "missed"])
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM jobs WHERE kind = 'notify'", on: connection) == 2)
        }
    }
}
