import ArgumentParser
import Foundation
import TallyCore

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, retry, cancel and approve jobs.",
        discussion: """
            Examples:
              tally jobs list acme-msp --state failed
              tally jobs retry acme-msp 4711
              tally jobs approve acme-msp 4712
            """,
        subcommands: [List.self, Retry.self, Cancel.self, Approve.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's jobs, newest first.")
        @Argument(help: "The tenant.") var tenant: String
        @Option(help: "Only jobs in this state (queued, running, succeeded, failed, skipped, held, cancelled).") var state: String?
        @Option(help: "At most this many.") var limit = 50
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                if let state, !JobListing.states.contains(state) {
                    throw InputError("\(state) is not a job state: use one of \(JobListing.states.joined(separator: ", "))")
                }
                let (db, tenantID) = try await Commands.connect("jobs list", tenant: tenant)
                let rows = try await JobListing.list(tenantID: tenantID, state: state, limit: limit, on: db)
                if output.json { return try printJSON(rows) }
                var table = Table("job", "kind", "run", "state", "attempts", "organization", "product", "when", "why")
                for r in rows {
                    table.add("\(r.jobID)", r.kind, r.runID.cell, r.state, "\(r.attempts)", r.organizationID.cell, r.product.cell,
                              r.updatedAt.cell, r.why ?? "")
                }
                table.print(empty: "no jobs")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a failed, cancelled or held job again with fresh attempts.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The job id.") var job: Int64

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("jobs retry", tenant: tenant)
                guard try await JobControl.retry(tenantID: tenantID, jobID: job, on: db) else {
                    throw InputError("job \(job) of \(tenant) is not failed, cancelled or held: `tally jobs list \(tenant)` shows its state")
                }
                print("job \(job) is queued again")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job: at once when queued, at its next checkpoint when running.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The job id.") var job: Int64

        func run() async throws {
            try await reportingFailures {
                let (db, tenantID) = try await Commands.connect("jobs cancel", tenant: tenant)
                switch try await JobControl.cancel(tenantID: tenantID, jobID: job, on: db) {
                case .cancelled: print("job \(job) is cancelled")
                case .requested: print("job \(job) is running; it stops at its next checkpoint")
                case .notCancellable(let state):
                    throw InputError(state.map { "job \(job) has ended (\($0)); nothing to cancel" } ?? "\(tenant) has no job \(job)")
                }
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a change the guard rails held; the job runs again and writes it.")
        @Argument(help: "The tenant.") var tenant: String
        @Argument(help: "The job id.") var job: Int64
        @Option(help: "Who approves, for the audit note on the Autotask contract (default: the login name).") var by: String?

        func run() async throws {
            try await reportingFailures {
                let approver = try DisplayName.checked(
                    by ?? ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "an operator",
                    "the approver's name (--by)")
                let (db, tenantID) = try await Commands.connect("jobs approve", tenant: tenant)
                switch try await SyncApproval.approve(tenantID: tenantID, jobID: job, approvedBy: approver, on: db) {
                case .approved(let before, let target):
                    print("approved: job \(job) will set \(before.map { "\($0) → " } ?? "")\(target) units")
                case .notHeld(let state):
                    throw InputError(state.map { "job \(job) is \($0), not held: only held sync jobs can be approved" } ?? "\(tenant) has no sync job \(job)")
                }
            }
        }
    }
}
