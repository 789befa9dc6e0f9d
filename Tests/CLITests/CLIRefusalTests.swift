import Autotask
import Foundation
import Huntress
import Postgres
import TallyCore
import TallySim
import TestSupport
import Testing

/// Every bad input gets exit 65 (or 1 for a failed check), one clear
/// sentence on standard error, and leaves the database as it was.
@Suite(.serialized)
struct CLIRefusalTests {
    struct Case: CustomStringConvertible {
        var arguments: [String]
        var input: String? = nil
        var environment: [String: String] = [:]
        var status: Int32 = 65
        var says: String

        var description: String { arguments.joined(separator: " ") }
    }

    @Test func badInputIsRefusedAndWritesNothing() async throws {
        let world: (inout SimWorld) -> Void = { world in
            world.databases[0].contracts[1].status = 0
            world.databases[0].contracts[2].contractType = 1
        }
        try await SyncFixture.with(tenants: 2, organizations: 3, world: world) { fixture in
            let cli = TallyCLI(fixture)
            let csv = FileManager.default.temporaryDirectory.appendingPathComponent("usage-\(UUID()).csv")
            var lines = ["organization_id,organization_name,product,units"]
            for n in 1...60 { lines.append("\(n),Org \(n),edr,\(n == 56 ? "-3" : "\(n)")") }
            try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: csv) }
            let add = ["tenant", "add", "new-msp", "--autotask-user", "u@x.example", "--integration-code", "IC", "--secret-stdin"]
            let cases: [Case] = [
                Case(arguments: ["tenant", "show", "nobody"], says: "no tenant is named nobody"),
                Case(arguments: ["sync", "nobody"], says: "no tenant is named nobody"),
                Case(arguments: ["tenant", "add", "msp-1", "--autotask-user", "u", "--integration-code", "c", "--secret-stdin"],
                     input: "s", says: "a tenant named msp-1 exists already"),
                Case(arguments: add + ["--schedule", "monthly 0 02:00"], input: "s", says: "must be 1 to 31"),
                Case(arguments: add + ["--schedule", "monthly 32 02:00"], input: "s", says: "must be 1 to 31"),
                Case(arguments: add + ["--time-zone", "Mars/Olympus"], input: "s", says: "Mars/Olympus is not an IANA time zone"),
                // Abbreviations and offsets are not places: their clocks do not follow a region's DST (issue 18).
                Case(arguments: add + ["--time-zone", "EST"], input: "s", says: "EST is not an IANA time zone"),
                Case(arguments: add + ["--time-zone", "UTC+5"], input: "s", says: "UTC+5 is not an IANA time zone"),
                Case(arguments: ["tenant", "schedule", "msp-1", "--time-zone", "PST8PDT"], says: "PST8PDT is not an IANA time zone"),
                Case(arguments: add, input: "s", environment: ["TALLY_SECRET_KEY": ""], says: "no secret key"),
                // Names are printed in tables: no terminal escapes, at most 200 characters (issue 18).
                Case(arguments: add + ["--name", "Acme\u{1B}]0;pwned\u{07}"], input: "s",
                     says: "the tenant's name (--name) holds a control character (U+001B)"),
                Case(arguments: ["tenant", "schedule", "msp-1", "--name", String(repeating: "a", count: 201)],
                     says: "the tenant's name (--name) is 201 characters long: use at most 200"),
                Case(arguments: ["usage", "set", "msp-1", "5", "edr", "5", "--name", "Contoso\u{9B}2J"],
                     says: "organization_name holds a control character (U+009B)"),
                Case(arguments: ["usage", "set", "msp-1", "5", "edr", "2147483648"], says: "2147483648 is more than 2147483647"),
                Case(arguments: ["usage", "set", "msp-1", "1", "edr", "--", "-5"], says: "not a whole number of units"),
                Case(arguments: ["usage", "set", "msp-1", "1", "edr", "many"], says: "not a whole number of units"),
                Case(arguments: ["usage", "import", "msp-1", csv.path], says: "line 57, units"),
                Case(arguments: ["map", "company", "msp-1", "99", "1001001"], says: "has no organization 99"),
                // Organization 77 belongs to msp-2 only.
                Case(arguments: ["map", "company", "msp-1", "77", "1001001"], says: "has no organization 77"),
                Case(arguments: ["map", "contract", "msp-1", "2", "1100002"], says: "is inactive"),
                Case(arguments: ["map", "contract", "msp-1", "3", "1100003"], says: "not a Recurring Service contract"),
                Case(arguments: ["map", "contract", "msp-1", "1", "2100001"], says: "Autotask has no contract 2100001"),
                Case(arguments: ["map", "contract", "msp-1", "1", "1100002"], says: "not to company 1001001"),
                Case(arguments: ["map", "product", "msp-1", "xdr", "1000001"], says: "there is no product xdr"),
                Case(arguments: ["jobs", "approve", "msp-1", "12345"], says: "has no sync job 12345"),
            ]
            try await fixture.connection.execute("""
                INSERT INTO organizations (tenant_id, organization_id, name) VALUES (\(fixture.tenantIDs[1]), 77, 'Only at msp-2')
                """)
            let before = try await Fixtures.digest(on: fixture.connection)
            for test in cases {
                let result = try cli.run(test.arguments, input: test.input, environment: test.environment)
                #expect(result.status == test.status, "\(test): \(result.error)")
                #expect(result.error.hasPrefix("tally: ") && result.error.contains(test.says), "\(test): \(result.error)")
                #expect(result.error.split(separator: "\n").count == 1, "\(test): one sentence: \(result.error)")
                #expect(try await Fixtures.digest(on: fixture.connection) == before, "\(test) wrote something")
            }
        }
    }

    /// The kind that crashes its worker exists in test and benchmark builds (`tally-bench worker`) only.
    @Test func theShippedWorkerHasNoKindThatCrashesIt() throws {
        let result = try TallyCLI(environment: [:]).run(["worker", "--kinds", "crash"])
        #expect(result.status == 64, "\(result.error)")
        #expect(result.error.contains("unknown job kinds: crash; known: contract_note, noop, notify, sync, usage_refresh"), "\(result.error)")
    }

    @Test func checkNamesWhatIsWrongAndNeverPrintsTheSecret() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let cli = TallyCLI(fixture)
            let good = try cli.run(["check", "msp-1"])
            #expect(good.status == 0, "\(good.output)\(good.error)")
            #expect(good.output.contains("every check passed"))

            try await TenantSecrets.store("wrong-secret", kind: .autotaskSecret, tenantID: fixture.tenantIDs[0], key: SyncFixture.secretKey,
                                          on: fixture.connection)
            let before = try await Fixtures.digest(on: fixture.connection)
            let bad = try cli.run(["check", "msp-1"])
            #expect(bad.status == 1)
            #expect(bad.output.contains("FAIL"), "\(bad.output)")
            #expect(bad.output.lowercased().contains("credentials"), "\(bad.output)")
            #expect(!(bad.output + bad.error).contains("wrong-secret"))
            #expect(try await Fixtures.digest(on: fixture.connection) == before)
        }
    }

    /// `tally check` asks for what syncing and mapping need, in the words of a
    /// sync's failure and the dashboard's fix: Companies and Contracts fail
    /// it; Services, which a sync never reads, only warns.
    @Test func checkAsksForExactlyWhatSyncingAndMappingNeedInOneWording() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 2) { fixture in
            let cli = TallyCLI(fixture)
            let state = fixture.simulator.state
            var world = await state.world()
            world.databases[0].users[0].lacks = ["Services"]
            await state.load(world)
            let noServices = try cli.run(["check", "msp-1"])
            #expect(noServices.status == 0, "\(noServices.output)\(noServices.error)")
            #expect(noServices.output.contains("the API user cannot read Services: syncing does not need it"), "\(noServices.output)")

            world.databases[0].users[0].lacks = ["Contracts"]
            await state.load(world)
            let noContracts = try cli.run(["check", "msp-1"])
            #expect(noContracts.status == 1)
            #expect(noContracts.output.contains("lacks permission for Contracts: \(AutotaskPermissions.fix)"), "\(noContracts.output)")
            let fix: String = try await fixture.connection.query("SELECT tally_reason_fix('missing_permission') AS fix")[0].decode("fix")
            #expect(fix == AutotaskPermissions.fix, "the dashboard's fix and the error say the same")
        }
    }

    /// `tally check` reads the tenant's Huntress list: the key works, which organizations are new, which are gone.
    @Test func checkComparesTallysOrganizationsWithHuntress() async throws {
        try await SyncFixture.with(tenants: 1, organizations: 3) { fixture in
            let cli = TallyCLI(fixture)
            let none = try cli.run(["check", "msp-1"])
            #expect(none.output.contains("no Huntress key"), "\(none.output)")
            let key = HuntressCredentials(publicKey: "hk-pub-1", privateKey: "hk-priv-1-check")
            await fixture.simulator.state.loadHuntress(SimHuntressWorld(accounts: [SimHuntressAccount(
                id: 1, name: "MSP 1", publicKey: key.publicKey, privateKey: key.privateKey,
                organizations: [1, 2, 4].map { SimHuntressOrganization(id: $0, name: "Customer 1-\($0)", agentsCount: 5) })]))
            try await HuntressKey.store(key, tenantID: fixture.tenantIDs[0], key: SyncFixture.secretKey, on: fixture.connection)
            let check = try cli.run(["check", "msp-1"])
            #expect(check.status == 0, "\(check.output)\(check.error)")
            #expect(check.output.contains("reads 3 organizations"), "\(check.output)")
            #expect(check.output.contains("1 organization in Huntress is not in Tally yet"), "\(check.output)")
            #expect(check.output.contains("organization 3") && check.output.contains("no longer in Huntress"), "\(check.output)")
            #expect(!(check.output + check.error).contains(key.privateKey))
            let usage = try cli.run(["usage", "list", "msp-1"])
            #expect(usage.status == 0 && usage.output.contains("6 rows: 6 from manual"), "\(usage.output)\(usage.error)")
        }
    }
}
