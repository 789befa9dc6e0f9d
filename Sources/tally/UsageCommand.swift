import ArgumentParser
import Foundation
import TallyCore

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Record billable units: from Huntress, one at a time, or a CSV file.",
        subcommands: [Refresh.self, List.self, Set.self, Import.self]
    )

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a tenant's organizations and usage from Huntress now (a job the workers run).",
            discussion: "Example:\n  tally usage refresh acme-msp --wait")
        @Argument(help: "The tenant.") var tenant: String
        @Flag(help: "Wait for the refresh to end and print what it found.") var wait = false
        @Option(name: .customLong("timeout-seconds"), help: "With --wait: give up waiting after this long (the refresh goes on).")
        var timeoutSeconds = 1800.0

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("usage refresh", tenant: tenant)
                let jobID = try await UsageRefreshRequests.request(tenantID: tenantID, on: db)
                print("job \(jobID): refreshing \(tenant)'s usage from Huntress")
                guard wait else { return }
                let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutSeconds * 1000))
                while ContinuousClock.now < deadline {
                    if let status = try await UsageRefreshRequests.status(tenantID: tenantID, jobID: jobID, on: db), status.isFinished {
                        guard status.state == "succeeded" else {
                            FileHandle.standardError.write(Data("tally: the refresh \(status.state): \(status.message ?? "no reason given")\n".utf8))
                            throw ExitCode.failure
                        }
                        print("\(status.organizations ?? 0) organizations (\(status.added ?? 0) new, \(status.renamed ?? 0) renamed, "
                              + "\(status.removed ?? 0) gone from Huntress); \(status.usageWritten ?? 0) usage rows written; "
                              + "\(status.detailReads ?? 0) organization details read")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(250))
                }
                print("still refreshing after \(Int(timeoutSeconds)) s; `tally jobs list \(tenant)` shows it later")
                throw ExitCode.failure
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a tenant's usage: units, where they came from, and how old they are.",
            discussion: "Example:\n  tally usage list acme-msp")
        @Argument(help: "The tenant.") var tenant: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("usage list", tenant: tenant)
                let rows = try await UsageListing.list(tenantID: tenantID, on: db)
                if output.json { return try printJSON(rows) }
                var table = Table("organization", "name", "product", "units", "source", "observed", "note")
                for row in rows {
                    table.add("\(row.organizationID)", row.organizationName, row.product, "\(row.units)", row.source, row.observedAt.cell,
                              row.removedFromHuntressAt.map { "no longer in Huntress since \($0.cell)" } ?? "")
                }
                table.print(empty: "no usage yet: `tally usage refresh \(tenant)` (Huntress) or `tally usage import \(tenant) FILE`")
                let sources = Dictionary(grouping: rows, by: \.source).map { "\($0.value.count) from \($0.key)" }.sorted()
                if !rows.isEmpty { print("\(rows.count) rows: \(sources.joined(separator: ", "))") }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the units of one product at one organization.",
            discussion: "Example:\n  tally usage set acme-msp 1042 edr 57 --name \"Contoso Ltd\"")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The organization id.") var organization: String
        @Argument(help: "The product: edr or m365.") var product: String
        @Argument(help: "Billable units, 0 or more.") var units: String
        @Option(help: "The organization's name (needed the first time).") var name: String?

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("usage set", tenant: tenant)
                let csv = "organization_id,organization_name,product,units\n"
                    + [organization, name ?? "", product, units].map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                        .joined(separator: ",")
                let products = try await UsageStore.products(on: db)
                let rows: [UsageRow]
                do {
                    rows = try UsageCSV.parse(csv, products: products)
                } catch let error as InputError {
                    // The same checks as a CSV line, told without the line number.
                    throw InputError(error.description.replacingOccurrences(of: "line 2, ", with: ""))
                }
                try await UsageStore.write(rows, tenantID: tenantID, source: "manual", on: db)
                print("\(tenant): organization \(organization) has \(units) \(product) units")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import usage from a CSV file: every line is checked first, then all are written, or none.",
            discussion: """
                The header names organization_id, product, units, and optionally organization_name \
                (needed for organizations new to the tenant) and observed_at (ISO 8601; default now).

                Example:
                  tally usage import acme-msp usage.csv
                """)
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The CSV file ('-' for standard input).") var file: String

        func run() async throws {
            try await reportingFailures {
                let text = try UsageFile.read(file)
                let (db, tenantID) = try await Commands.connect("usage import", tenant: tenant)
                let rows = try UsageCSV.parse(text, products: try await UsageStore.products(on: db))
                let written = try await UsageStore.write(rows, tenantID: tenantID, source: "csv", on: db)
                print("\(tenant): imported \(written) usage rows from \(file)")
            }
        }
    }
}
