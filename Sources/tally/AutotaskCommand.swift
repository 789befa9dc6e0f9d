import ArgumentParser
import Foundation
import TallyCore

struct AutotaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autotask",
        abstract: "What a tenant's Autotask holds (read-only): companies, contracts, services.",
        discussion: """
            Examples:
              tally autotask companies acme-msp
              tally autotask contracts acme-msp --company 29684521
              tally autotask services acme-msp
            """,
        subcommands: [Companies.self, Contracts.self, Services.self]
    )

    struct Companies: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the active companies.")
        @Argument(help: "The tenant.") var tenant: String
        @OptionGroup var autotask: AutotaskOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("autotask companies", tenant: tenant)
                let companies = try await CommandContext.withAutotask(tenantID: tenantID, options: autotask, on: db) {
                    try await $0.activeCompanies()
                }
                if output.json { return try printJSON(companies) }
                var table = Table("company", "name")
                for c in companies.sorted(by: { $0.id < $1.id }) { table.add("\(c.id)", c.companyName ?? "") }
                table.print(empty: "no active companies")
            }
        }
    }

    struct Contracts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List Recurring Service contracts, with status and dates.")
        @Argument(help: "The tenant.") var tenant: String
        @Option(help: "Only this company's contracts.") var company: Int?
        @OptionGroup var autotask: AutotaskOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("autotask contracts", tenant: tenant)
                let contracts = try await CommandContext.withAutotask(tenantID: tenantID, options: autotask, on: db) {
                    try await $0.recurringContracts(companyID: company)
                }
                if output.json { return try printJSON(contracts) }
                var table = Table("contract", "company", "name", "status", "start", "end")
                for c in contracts.sorted(by: { $0.id < $1.id }) {
                    table.add("\(c.id)", c.companyID.cell, c.contractName ?? "", c.isActive ? "active" : "inactive",
                              c.startDate.cell, c.endDate.cell)
                }
                table.print(empty: "no Recurring Service contracts")
            }
        }
    }

    struct Services: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the services (the catalog items contracts bill).")
        @Argument(help: "The tenant.") var tenant: String
        @OptionGroup var autotask: AutotaskOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("autotask services", tenant: tenant)
                let services = try await CommandContext.withAutotask(tenantID: tenantID, options: autotask, on: db) {
                    try await $0.services()
                }
                if output.json { return try printJSON(services) }
                var table = Table("service", "name", "active", "unit price")
                for s in services.sorted(by: { $0.id < $1.id }) {
                    table.add("\(s.id)", s.name ?? "", s.isActive == false ? "no" : "yes", s.unitPrice.map { String(format: "%.2f", $0) } ?? "-")
                }
                table.print(empty: "no services")
            }
        }
    }
}
