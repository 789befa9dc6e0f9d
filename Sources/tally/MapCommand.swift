import ArgumentParser
import Foundation
import TallyCore

struct MapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Map products to Autotask services and organizations to companies and contracts.",
        discussion: """
            Each mapping is checked against Autotask before it is written; --offline skips \
            the check (bulk loading), and `tally check` finds what is wrong later.

            Examples:
              tally map product acme-msp edr 29683
              tally map company acme-msp 1042 29684521
              tally map contract acme-msp 1042 29700133
              tally map suggest acme-msp --apply
              tally map list acme-msp --unmapped
            """,
        subcommands: [Product.self, Company.self, ContractMapping.self, Suggest.self, List.self]
    )

    struct Mode: ParsableArguments {
        @Flag(help: "Write without checking against Autotask.") var offline = false
        @OptionGroup var autotask: AutotaskOptions
    }

    /// Runs `body` with a session unless offline.
    static func withSession<Result>(
        _ slug: String, mode: Mode, _ body: (Database, Int64, TenantAutotask?) async throws -> Result
    ) async throws -> Result {
        let (db, tenantID) = try await Commands.connect("map", tenant: slug)
        if mode.offline { return try await body(db, tenantID, nil) }
        return try await CommandContext.withAutotask(tenantID: tenantID, options: mode.autotask, on: db) { autotask in
            try await body(db, tenantID, autotask)
        }
    }

    struct Product: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Map a product (edr, m365) to the Autotask service that bills it.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The product: edr or m365.") var product: String
        @Argument(help: "The Autotask service id.") var serviceID: Int
        @OptionGroup var mode: Mode

        func run() async throws {
            try await reportingFailures {
                try await MapCommand.withSession(tenant, mode: mode) { db, tenantID, autotask in
                    try await Mappings.mapProduct(tenantID: tenantID, product: product, serviceID: serviceID, autotask: autotask, on: db)
                }
                print("\(tenant): \(product) is billed as service \(serviceID)")
            }
        }
    }

    struct Company: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Map an organization to its Autotask company.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The organization id.") var organization: Int64
        @Argument(help: "The Autotask company id.") var companyID: Int
        @OptionGroup var mode: Mode

        func run() async throws {
            try await reportingFailures {
                var cleared = false
                try await MapCommand.withSession(tenant, mode: mode) { db, tenantID, autotask in
                    cleared = try await Mappings.mapCompany(
                        tenantID: tenantID, organizationID: organization, companyID: companyID, autotask: autotask, on: db)
                }
                print("\(tenant): organization \(organization) is company \(companyID)"
                      + (cleared ? "; its contract, of the old company, was unmapped: `tally map contract`" : ""))
            }
        }
    }

    struct ContractMapping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "contract", abstract: "Map an organization to a Recurring Service contract of its company.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The organization id.") var organization: Int64
        @Argument(help: "The Autotask contract id.") var contractID: Int
        @OptionGroup var mode: Mode

        func run() async throws {
            try await reportingFailures {
                let sharing = try await MapCommand.withSession(tenant, mode: mode) { db, tenantID, autotask in
                    try await Mappings.mapContract(
                        tenantID: tenantID, organizationID: organization, contractID: contractID, autotask: autotask, on: db)
                }
                print("\(tenant): organization \(organization) bills on contract \(contractID)")
                if !sharing.isEmpty {
                    let others = sharing.map { "\($0.organizationID) “\($0.name)”" }.joined(separator: ", ")
                    print("contract \(contractID) is shared with organization\(sharing.count == 1 ? "" : "s") \(others): each product's units on it will be the sum of their usage")
                }
            }
        }
    }

    struct Suggest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose organization → company matches by name; --apply writes them.")
        @Argument(help: "The tenant.") var tenant: String
        @Flag(help: "Write the proposed company mappings.") var apply = false
        @OptionGroup var autotask: AutotaskOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("map suggest", tenant: tenant)
                let suggestions = try await CommandContext.withAutotask(tenantID: tenantID, options: autotask, on: db) {
                    try await MappingSuggestions.suggest(tenantID: tenantID, autotask: $0, on: db)
                }
                if apply {
                    try await db.withTransaction { tx in
                        for s in suggestions {
                            try await Mappings.mapCompany(
                                tenantID: tenantID, organizationID: s.organizationID, companyID: s.companyID, autotask: nil, on: tx)
                        }
                    }
                }
                if output.json { return try printJSON(suggestions) }
                var table = Table("organization", "name", "company", "company name")
                for s in suggestions { table.add("\(s.organizationID)", s.organizationName, "\(s.companyID)", s.companyName) }
                table.print(empty: "no suggestions: every organization has a company, or no company name matches")
                if apply, !suggestions.isEmpty { print("mapped \(suggestions.count) organizations; next: `tally map contract`") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's organizations and their mappings.")
        @Argument(help: "The tenant.") var tenant: String
        @Flag(help: "Only organizations without a company or contract.") var unmapped = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("map list", tenant: tenant)
                let rows = try await Mappings.organizations(tenantID: tenantID, unmappedOnly: unmapped, on: db)
                if output.json { return try printJSON(rows) }
                var table = Table("organization", "name", "company", "contract")
                for r in rows { table.add("\(r.organizationID)", r.name, r.companyID.cell, r.contractID.cell) }
                table.print(empty: unmapped ? "every organization is mapped" : "no organizations yet: they come with usage (`tally usage import`)")
            }
        }
    }
}
