import ArgumentParser
import Foundation
import TallyCore

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Send a tenant's run alerts to Slack, Microsoft Teams or a signed webhook.",
        discussion: """
            An alert goes out once per run that ended with failures, held changes or failing \
            credentials, and for a scheduled run not started 15 minutes after it was due or waiting \
            over an hour on the Autotask budget (the scheduler finds them). URLs and signing secrets \
            are sealed like the tenant's other secrets and never printed.
            """,
        subcommands: [Add.self, List.self, Test.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a destination: the incoming-webhook URL from stdin, a variable or a file, never the command line.",
            discussion: """
                Examples:
                  printf %s "$SLACK_URL" | tally notify add acme-msp billing-slack --slack --url-stdin
                  tally notify add acme-msp ops-teams --teams --url-env TEAMS_URL --events failures,credentials
                  tally notify add acme-msp psa-hook --webhook --url-env HOOK_URL --signing-secret-env HOOK_SECRET

                A webhook gets JSON with headers Idempotency-Key, X-Tally-Timestamp (Unix seconds) and \
                X-Tally-Signature: v1=HEX, the HMAC-SHA256 of "TIMESTAMP.BODY" with the signing secret.
                Events (default all): failures, held, credentials, missed, budget.
                """)
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "A name for the destination: lower-case letters, digits and dashes.") var name: String
        @Flag(help: "Slack incoming webhook.") var slack = false
        @Flag(help: "Microsoft Teams incoming webhook (Workflows).") var teams = false
        @Flag(help: "Generic JSON webhook, signed with HMAC-SHA256.") var webhook = false
        @Flag(name: .customLong("url-stdin"), help: "Read the URL from standard input (one line).") var urlStdin = false
        @Option(name: .customLong("url-env"), help: "Read the URL from this environment variable.") var urlEnv: String?
        @Option(name: .customLong("url-file"), help: "Read the URL from this file (its first line).") var urlFile: String?
        @Option(name: .customLong("signing-secret-env"), help: "A webhook's signing secret, from this environment variable.") var signingSecretEnv: String?
        @Option(name: .customLong("signing-secret-file"), help: "A webhook's signing secret, from this file (its first line).") var signingSecretFile: String?
        @Option(help: "What to send, comma-separated: failures, held, credentials, missed, budget (default all).") var events: String?

        func validate() throws {
            guard [slack, teams, webhook].filter({ $0 }).count == 1 else { throw ValidationError("give one of --slack, --teams or --webhook") }
            guard [urlStdin, urlEnv != nil, urlFile != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give the URL one way: --url-stdin, --url-env NAME or --url-file PATH")
            }
            guard signingSecretEnv == nil || signingSecretFile == nil else {
                throw ValidationError("give the signing secret one way: --signing-secret-env or --signing-secret-file")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let kind: NotifyDestination.Kind = slack ? .slack : teams ? .teams : .webhook
                guard let url = try SecretInput.read(fromStandardInput: urlStdin, environmentVariable: urlEnv, file: urlFile) else {
                    throw InputError("give the URL: --url-stdin, --url-env NAME or --url-file PATH")
                }
                let signingSecret = try SecretInput.read(fromStandardInput: false, environmentVariable: signingSecretEnv, file: signingSecretFile)
                let parsedEvents = try events.map { try NotifyDestinations.events(parsing: $0) }
                let key = try CommandContext.secretKey()
                let (db, tenantID) = try await Commands.connect("notify add", tenant: tenant)
                let added = try await NotifyDestinations.add(
                    tenantID: tenantID, name: name, kind: kind, url: url, signingSecret: signingSecret, events: parsedEvents, key: key, on: db)
                print("added \(added.name): \(added.kind.rawValue) to \(added.host), for \(added.events.map(\.rawValue).joined(separator: ", ")); try it with `tally notify test \(tenant) \(added.name)`")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's destinations and how their deliveries go.")
        @Argument(help: "The tenant.") var tenant: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("notify list", tenant: tenant)
                let destinations = try await NotifyDestinations.list(tenantID: tenantID, on: db)
                if output.json { return try printJSON(destinations) }
                guard !destinations.isEmpty else {
                    print("\(tenant) has no alert destinations: add one with `tally notify add \(tenant) NAME --slack --url-stdin`")
                    return
                }
                var table = Table("name", "kind", "host", "events", "state")
                for d in destinations {
                    let state = d.failingSince.map { "failing since \($0.formatted(.iso8601)) (\(d.failures) in a row): \(d.lastError ?? "")" }
                        ?? d.lastDeliveredAt.map { "ok, last delivered \($0.formatted(.iso8601))" } ?? "nothing sent yet"
                    table.add(d.name, d.kind.rawValue, d.host, d.events.map(\.rawValue).joined(separator: ","), state)
                }
                print(table.rendered)
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test alert to a destination now; exit 1 if it was not delivered.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The destination's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let key = try CommandContext.secretKey()
                let (db, tenantID) = try await Commands.connect("notify test", tenant: tenant)
                guard let result = try await NotifyDestinations.test(tenantID: tenantID, name: name, key: key, on: db) else {
                    throw InputError("\(tenant) has no destination named \(name): `tally notify list \(tenant)` shows them")
                }
                switch result {
                case .delivered(let status):
                    print("delivered to \(name) (HTTP \(status))")
                case .refused:
                    throw InputError("\(name) refused the test alert: \(result.outcome); check its URL, then remove and add it again")
                case .unreachable(let what), .unknown(let what):
                    throw InputError("the test alert to \(name) was not delivered: \(what)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a destination and its sealed URL.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The destination's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("notify remove", tenant: tenant)
                guard try await NotifyDestinations.remove(tenantID: tenantID, name: name, on: db) else {
                    throw InputError("\(tenant) has no destination named \(name): `tally notify list \(tenant)` shows them")
                }
                print("removed \(name)")
            }
        }
    }
}
