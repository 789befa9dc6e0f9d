import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// An MSP onboarded through the CLI alone, against tally-sim: tenant, usage,
/// suggested and explicit mappings, check, dry run, Sync Now with --wait.
@Suite(.serialized)
struct CLIOnboardingTests {
    @Test func anOperatorOnboardsAndSyncsAnMSPFromTheTerminal() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let cli = TallyCLI(fixture)
            #expect(try cli.run(["tenant", "remove", "msp-1", "--yes"]).status == 0)
            let add = try cli.run([
                "tenant", "add", "acme", "--name", "Acme MSP", "--autotask-user", "api@db1.example", "--integration-code", "IC-db1",
                "--secret-stdin", "--time-zone", "UTC", "--schedule", "manual", "--max-drop", "100",
            ], input: "secret-db1\n")
            #expect(add.status == 0, "\(add.error)")

            let csv = """
                organization_id,organization_name,product,units
                1,Customer 1-1,edr,7
                1,Customer 1-1,m365,3
                2,"Customer 1-2",edr,11
                3,Customer 1-3,edr,2
                """
            let imported = try cli.run(["usage", "import", "acme", "-"], input: csv)
            #expect(imported.status == 0, "\(imported.error)")
            #expect(imported.output.contains("imported 4 usage rows"))

            let suggested = try cli.run(["map", "suggest", "acme", "--apply"])
            #expect(suggested.status == 0, "\(suggested.error)")
            #expect(suggested.output.contains("mapped 3 organizations"), "\(suggested.output)")
            for org in 1...3 {
                let mapped = try cli.run(["map", "contract", "acme", "\(org)", "\(1_100_000 + org)"])
                #expect(mapped.status == 0, "\(mapped.error)")
            }
            #expect(try cli.run(["map", "product", "acme", "edr", "1000001"]).status == 0)
            #expect(try cli.run(["map", "product", "acme", "m365", "1000002"]).status == 0)

            let check = try cli.run(["check", "acme"])
            #expect(check.status == 0, "\(check.output)\(check.error)")

            let plan = try cli.run(["sync", "acme", "--dry-run", "--json"])
            #expect(plan.status == 0, "\(plan.error)")
            let lines = try JSONSerialization.jsonObject(with: Data(plan.output.utf8)) as? [[String: Any]]
            #expect(lines?.count == 6)
            #expect(await fixture.tallyAdjustments().isEmpty, "a dry run writes nothing")

            let workers = try fixture.startWorkers(1, arguments: ["--concurrency", "2"])
            let sync = try cli.run(["sync", "acme", "--wait", "--timeout-seconds", "60"])
            await workers.stopAll()
            #expect(!workers[0].log.isEmpty && !workers[0].log.contains("secret-db1"), "the worker's log holds no secret")
            #expect(sync.status == 0, "\(sync.output)\(sync.error)")
            #expect(sync.output.contains("6/6 done"), "\(sync.output)")
            let units = await fixture.simulator.state.units(database: "db1") ?? []
            #expect(units.first { $0.contractID == 1_100_002 && $0.serviceID == 1_000_001 }?.units == 11)

            let jobs = try cli.run(["jobs", "list", "acme", "--json"])
            #expect(jobs.status == 0)
            let show = try cli.run(["tenant", "show", "acme"])
            #expect(show.output.contains("an audit note on the contract for every adjustment"), "\(show.output)")
            let notesOff = try cli.run(["tenant", "schedule", "acme", "--contract-notes", "false"])
            #expect(notesOff.status == 0, "\(notesOff.error)")
            let shown = try JSONSerialization.jsonObject(with: Data(try cli.run(["tenant", "show", "acme", "--json"]).output.utf8)) as? [String: Any]
            #expect(shown?["contractNotes"] as? Bool == false)
            for output in [add, imported, suggested, check, plan, sync, jobs, show] {
                #expect(!(output.output + output.error).contains("secret-db1"), "a secret was printed")
            }
        }
    }

    /// Mapping a second organization (a site of the same customer) to a contract says that it is shared.
    @Test func mappingASecondOrganizationToAContractSaysItIsShared() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let cli = TallyCLI(fixture)
            #expect(try cli.run(["map", "company", "msp-1", "2", "1001001", "--offline"]).status == 0)
            let first = try cli.run(["map", "contract", "msp-1", "1", "1100001"])
            #expect(first.status == 0 && !first.output.contains("shared"), "\(first.output)\(first.error)")
            let second = try cli.run(["map", "contract", "msp-1", "2", "1100001"])
            #expect(second.status == 0, "\(second.error)")
            #expect(second.output.contains("contract 1100001 is shared with organization 1 “Customer 1-1”"), "\(second.output)")
            #expect(second.output.contains("sum of their usage"))
        }
    }
}
