import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// `tally notify add|list|test|remove` (issue 20): URLs and signing secrets
/// come from stdin, a variable or a file, and are never printed.
@Suite(.serialized)
struct NotifyCommandTests {
    @Test func anOperatorAddsTestsListsAndRemovesDestinationsWithoutPrintingTheirURLs() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 1) { fixture in
            let cli = TallyCLI(fixture)
            let slackURL = fixture.simulator.hookURL("billing")
            let add = try cli.run(["notify", "add", "msp-1", "billing-slack", "--slack", "--url-stdin"], input: slackURL + "\n")
            #expect(add.status == 0, "\(add.error)")
            #expect(add.output.contains("added billing-slack: slack to 127.0.0.1"), "\(add.output)")
            let hook = try cli.run(
                ["notify", "add", "msp-1", "psa-hook", "--webhook", "--url-env", "HOOK_URL", "--signing-secret-env", "HOOK_SECRET", "--events", "failures,credentials"],
                environment: ["HOOK_URL": fixture.simulator.hookURL("psa"), "HOOK_SECRET": "a-signing-secret-of-some-length"])
            #expect(hook.status == 0, "\(hook.error)")

            let refusals: [([String], [String: String], String)] = [
                (["notify", "add", "msp-1", "x", "--webhook", "--url-env", "HOOK_URL"], ["HOOK_URL": "https://hooks.example.net/a"], "a webhook needs a signing secret"),
                (["notify", "add", "msp-1", "y", "--slack", "--url-env", "U"], ["U": "http://hooks.slack.com/services/T/B/X"], "must be https"),
                (["notify", "add", "msp-1", "Bad Name", "--slack", "--url-env", "U"], ["U": "https://hooks.slack.com/services/T/B/X"], "a destination name is"),
                (["notify", "add", "msp-1", "z", "--teams", "--url-env", "U", "--events", "failures,everything"], ["U": "https://x.example.net/w"], "unknown event everything"),
                (["notify", "add", "msp-1", "billing-slack", "--slack", "--url-env", "U"], ["U": "https://hooks.slack.com/services/T/B/X"], "has a destination named billing-slack already"),
            ]
            for (arguments, environment, says) in refusals {
                let refused = try cli.run(arguments, environment: environment)
                #expect(refused.status != 0 && refused.error.contains(says), "\(arguments): \(refused.error)")
            }
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM notify_destinations", on: fixture.connection) == 2,
                    "refusals wrote nothing")

            let test = try cli.run(["notify", "test", "msp-1", "billing-slack"])
            #expect(test.status == 0 && test.output.contains("delivered to billing-slack (HTTP 200)"), "\(test.output)\(test.error)")
            let received = await fixture.simulator.state.hookDeliveries("billing")
            #expect(received.count == 1 && received[0].body.contains("a test alert"), "\(received)")

            await fixture.simulator.state.setHookBehaviour("psa", .init(status: 410))
            let failedTest = try cli.run(["notify", "test", "msp-1", "psa-hook"])
            #expect(failedTest.status != 0 && failedTest.error.contains("refused the test alert: HTTP 410"), "\(failedTest.error)")

            let list = try cli.run(["notify", "list", "msp-1"])
            #expect(list.status == 0)
            #expect(list.output.contains("billing-slack") && list.output.contains("ok, last delivered"), "\(list.output)")
            #expect(list.output.contains("psa-hook") && list.output.contains("failing since"), "\(list.output)")
            for output in [add, hook, test, failedTest, list] {
                #expect(!(output.output + output.error).contains("/_sim/hooks/"), "a URL was printed")
                #expect(!(output.output + output.error).contains("a-signing-secret"), "a signing secret was printed")
            }
            let sealed = try await fixture.connection.query("SELECT count(*)::int AS n FROM tenant_secrets WHERE kind LIKE 'notify_destination:%'")
            #expect(try sealed[0].decode("n", as: Int.self) == 2)

            #expect(try cli.run(["notify", "remove", "msp-1", "psa-hook"]).status == 0)
            #expect(try cli.run(["notify", "remove", "msp-1", "psa-hook"]).error.contains("has no destination named psa-hook"))
            #expect(try await Fixtures.count("SELECT count(*)::int AS n FROM tenant_secrets WHERE kind LIKE 'notify_destination:%'", on: fixture.connection) == 1,
                    "its sealed URL went with it")
        }
    }
}
