import ArgumentParser
import Foundation
import TallyCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a tenant against Autotask: credentials, zone, permissions, services, contracts. Writes nothing.",
        discussion: """
            Prints a checklist; each failure says what to fix. Exits 1 when any check failed.

            Example:
              tally check acme-msp
            """)

    @Argument(help: "The tenant.") var tenant: String
    @OptionGroup var autotask: AutotaskOptions
    @OptionGroup var huntress: HuntressOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let (db, tenantID) = try await Commands.connect("check", tenant: tenant)
            let items = try await Commands.check(
                tenantID: tenantID, zoneLookupURL: try autotask.zoneLookupURL(), huntressURL: try huntress.url(),
                logger: makeLogger(label: "tally.check"), on: db)
            if output.json {
                try printJSON(items)
            } else {
                var table = Table("", "check", "result")
                for item in items {
                    table.add(item.status == .ok ? "ok" : item.status == .warning ? "warn" : "FAIL", item.subject, item.detail)
                }
                print(table.rendered)
                let failed = items.filter { $0.status == .failed }.count
                print(failed == 0 ? "\(tenant): every check passed" : "\(tenant): \(failed) check(s) failed")
            }
            if items.contains(where: { $0.status == .failed }) { throw ExitCode.failure }
        }
    }
}
