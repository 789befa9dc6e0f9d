import ArgumentParser
import Foundation
import TallyCore

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Onboard, list, change and remove MSPs (tenants).",
        subcommands: [Add.self, List.self, Show.self, ScheduleCommand.self, CredentialsCommand.self, HuntressCommand.self, Remove.self]
    )

    /// Options shared by `add` and `schedule`.
    struct SettingsOptions: ParsableArguments {
        @Option(help: "A name for people (default: the slug).")
        var name: String?

        @Option(name: .customLong("time-zone"), help: "IANA time zone of the schedule (default UTC), e.g. America/New_York.")
        var timeZone: String?

        @Option(help: "`daily HH:MM`, `monthly DAY HH:MM` (29–31: the month's last day when shorter) or `manual`.")
        var schedule: String?

        @Option(help: "Worker tasks at once for this tenant, cluster-wide, 1–64 (default 3).")
        var cap: Int?

        @Option(help: "Autotask requests Tally may make per rolling hour, 1–10000 (default 5000).")
        var budget: Int?

        @Option(
            name: .customLong("autotask-share"),
            help: "Wait while the Autotask database's hourly requests, other integrations' included, pass this percentage of its threshold, 1–100 (default 80).")
        var autotaskShare: Int?

        @Option(name: .customLong("max-drop"), help: "Hold drops larger than this percentage for approval, 0–100 (default 50; 100: never).")
        var maxDrop: Int?

        @Option(name: .customLong("allow-zero"), help: "true: write a change to 0 units without approval (default false).")
        var allowZero: Bool?

        @Option(name: .customLong("staleness-hours"), help: "Skip usage older than this many hours (default 48).")
        var stalenessHours: Int?

        @Option(
            name: .customLong("contract-notes"),
            help: "true: leave an audit note on the Autotask contract for every adjustment (default true); false: none.")
        var contractNotes: Bool?

        func settings() throws -> TenantSettings {
            var settings = TenantSettings()
            settings.name = name
            settings.timeZone = timeZone
            settings.schedule = try schedule.map { try Schedule(parsing: $0) }
            settings.concurrencyCap = cap
            settings.hourlyRequestBudget = budget
            settings.autotaskSharePercent = autotaskShare
            settings.guardMaxDropPercent = maxDrop
            settings.guardAllowZero = allowZero
            settings.usageStalenessHours = stalenessHours
            settings.contractNotes = contractNotes
            return settings
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Onboard an MSP with its Autotask API user.",
            discussion: """
                The secret is read from standard input, an environment variable or a file — never \
                from the command line — and stored sealed with TALLY_SECRET_KEY.

                Example:
                  printf %s "$AT_SECRET" | tally tenant add acme-msp --name "Acme MSP" \\
                      --autotask-user api@acme.example --integration-code ABC123 --secret-stdin \\
                      --time-zone America/New_York --schedule "monthly 1 02:00"
                """)

        @Argument(help: "The tenant's short name (slug), e.g. acme-msp.")
        var slug: String

        @Option(name: .customLong("autotask-user"), help: "The Autotask API user's user name.")
        var autotaskUser: String

        @Option(name: .customLong("integration-code"), help: "The Autotask API tracking identifier (integration code).")
        var integrationCode: String

        @OptionGroup var secret: SecretSource
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await reportingFailures {
                let settings = try options.settings()
                guard secret.isGiven else {
                    throw InputError("give the Autotask API secret with --secret-stdin, --secret-env NAME or --secret-file PATH")
                }
                let key = try CommandContext.secretKey()
                let credentials = TenantStore.Credentials(
                    userName: autotaskUser, integrationCode: integrationCode, secret: try secret.read() ?? "")
                let db = try await Commands.connect("tenant add")
                _ = try await TenantStore.add(slug: slug, settings: settings, credentials: credentials, key: key, on: db)
                print("added tenant \(slug); next: `tally map product \(slug) edr SERVICE_ID`, then `tally check \(slug)`")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants.")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let tenants = try await TenantInfo.all(on: try await Commands.connect("tenant list"))
                if output.json { return try printJSON(tenants) }
                var table = Table("tenant", "name", "time zone", "schedule", "cap", "budget", "organizations", "mapped", "products", "paused")
                for t in tenants {
                    table.add(t.slug, t.name, t.timeZone, t.schedule, "\(t.concurrencyCap)", "\(t.hourlyRequestBudget)",
                              "\(t.organizations)", "\(t.mappedOrganizations)", t.mappedProducts.joined(separator: ","), t.paused ? "yes" : "no")
                }
                table.print(empty: "no tenants yet: add one with `tally tenant add`")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one tenant's settings (never its secret).")
        @Argument(help: "The tenant.") var slug: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let t = try await TenantInfo.one(slug: slug, on: try await Commands.connect("tenant show"))
                if output.json { return try printJSON(t) }
                var table = Table("setting", "value")
                table.add("name", t.name)
                table.add("Autotask API user", t.autotaskUsername)
                table.add("integration code", t.integrationCode)
                table.add("Autotask secret", t.secretKeyID.map { "stored, sealed with key \($0)" } ?? "missing: `tally tenant credentials \(t.slug) --secret-stdin`")
                table.add("time zone", t.timeZone)
                table.add("schedule", t.schedule + (t.paused ? " (paused)" : ""))
                table.add("concurrency cap", "\(t.concurrencyCap)")
                table.add("hourly request budget", "\(t.hourlyRequestBudget)")
                table.add("guard rails", "hold drops over \(t.guardMaxDropPercent) %; to zero \(t.guardAllowZero ? "allowed" : "held")")
                table.add("usage older than", "\(t.usageStalenessLimit) is skipped")
                table.add("contract notes", t.contractNotes ? "an audit note on the contract for every adjustment" : "off")
                table.add("organizations", "\(t.organizations) (\(t.mappedOrganizations) mapped to a contract)")
                table.add("products mapped", t.mappedProducts.isEmpty ? "none" : t.mappedProducts.joined(separator: ", "))
                print(table.rendered)
            }
        }
    }

    struct ScheduleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Change a tenant's schedule, time zone, limits or guard rails.",
            discussion: """
                Changes apply at the scheduler's next tick, without a restart.

                Examples:
                  tally tenant schedule acme-msp --schedule "daily 03:30" --time-zone Europe/Berlin
                  tally tenant schedule acme-msp --cap 2 --budget 3000 --max-drop 30
                  tally tenant schedule acme-msp --pause
                """)
        @Argument(help: "The tenant.") var slug: String
        @OptionGroup var options: SettingsOptions
        @Flag(help: "Stop scheduling and claiming this tenant's jobs.") var pause = false
        @Flag(help: "Resume a paused tenant.") var resume = false

        func run() async throws {
            try await reportingFailures {
                var settings = try options.settings()
                if pause && resume { throw InputError("give --pause or --resume, not both") }
                settings.paused = pause ? true : (resume ? false : nil)
                guard settings != TenantSettings() else {
                    throw InputError("nothing to change: give --schedule, --time-zone, --cap, --budget, --autotask-share, --max-drop, --allow-zero, --staleness-hours, --contract-notes, --pause or --resume")
                }
                let db = try await Commands.connect("tenant schedule")
                try await TenantStore.update(slug: slug, settings: settings, on: db)
                let t = try await TenantInfo.one(slug: slug, on: db)
                print("\(slug): \(t.schedule) in \(t.timeZone), cap \(t.concurrencyCap), budget \(t.hourlyRequestBudget)/h, max drop \(t.guardMaxDropPercent) %\(t.paused ? ", paused" : "")")
            }
        }
    }

    struct CredentialsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credentials",
            abstract: "Replace a tenant's Autotask API user name, integration code or secret.",
            discussion: """
                Example:
                  tally tenant credentials acme-msp --secret-file /run/secrets/acme-autotask
                """)
        @Argument(help: "The tenant.") var slug: String
        @Option(name: .customLong("autotask-user"), help: "The new API user name.") var autotaskUser: String?
        @Option(name: .customLong("integration-code"), help: "The new integration code.") var integrationCode: String?
        @OptionGroup var secret: SecretSource

        func run() async throws {
            try await reportingFailures {
                guard autotaskUser != nil || integrationCode != nil || secret.isGiven else {
                    throw InputError("nothing to change: give --autotask-user, --integration-code or the secret (--secret-stdin, --secret-env, --secret-file)")
                }
                let key = try CommandContext.secretKey()
                let db = try await Commands.connect("tenant credentials")
                try await TenantStore.setCredentials(
                    slug: slug, userName: autotaskUser, integrationCode: integrationCode, secret: try secret.read(), key: key, on: db)
                print("updated the credentials of \(slug); `tally check \(slug)` tries them")
            }
        }
    }

    struct HuntressCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "huntress",
            abstract: "Give a tenant its Huntress key pair (usage comes from Huntress), or choose which counts bill.",
            discussion: """
                The key pair is PUBLIC_KEY:PRIVATE_KEY (Huntress → API Credentials), sealed like the \
                Autotask secret. --counts billable (the default) bills Huntress's billable counts, \
                reading an organization's detail for EDR where it is mapped to a contract; --counts list \
                bills the organization list's counts (one request per 500 organizations, but EDR's \
                count there is every agent, billable or not).

                Examples:
                  printf %s "$HUNTRESS_KEY" | tally tenant huntress acme-msp --key-stdin
                  tally tenant huntress acme-msp --counts list
                """)
        @Argument(help: "The tenant.") var slug: String
        @OptionGroup var keyPair: HuntressKeySource
        @Option(help: "Which Huntress counts bill: billable or list.") var counts: String?

        func run() async throws {
            try await reportingFailures {
                let choice = try counts.map { text in
                    guard let choice = HuntressSetup.Counts(rawValue: text) else {
                        throw InputError("--counts is billable or list, not \(text)")
                    }
                    return choice
                }
                guard keyPair.isGiven || choice != nil else {
                    throw InputError("nothing to change: give the key pair (--key-stdin, --key-env, --key-file) or --counts")
                }
                let key = try CommandContext.secretKey()
                let (db, tenantID) = try await Commands.connect("tenant huntress", tenant: slug)
                try await HuntressSetup.configure(tenantID: tenantID, keyPair: try keyPair.read(), counts: choice, key: key, on: db)
                print("\(slug) takes usage from Huntress; `tally usage refresh \(slug) --wait` reads it now")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a tenant and all its data (mappings, usage, runs, jobs, results).",
            discussion: "Example:\n  tally tenant remove acme-msp --yes")
        @Argument(help: "The tenant.") var slug: String
        @Flag(help: "Confirm: the removal cannot be undone.") var yes = false

        func run() async throws {
            try await reportingFailures {
                guard yes else { throw InputError("removing \(slug) deletes all its data: run again with --yes to confirm") }
                try await TenantStore.remove(slug: slug, on: try await Commands.connect("tenant remove"))
                print("removed tenant \(slug)")
            }
        }
    }
}
