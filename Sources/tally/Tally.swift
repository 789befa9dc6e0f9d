import ArgumentParser

@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Keeps Autotask contract units in step with Huntress usage, for many MSPs.",
        discussion: """
            The database is named by DATABASE_URL (a libpq URI or conninfo); when it is \
            unset, libpq's PG* variables and defaults apply.

            Exit codes: 0 success; 1 the command failed (the reason is on standard error); \
            64 the command line is wrong; 65 Tally refused the input (an unknown tenant, a bad \
            value, a missing secret key) and wrote nothing.
            """,
        subcommands: [
            MigrateCommand.self, WorkerCommand.self, SchedulerCommand.self, TenantCommand.self, MapCommand.self,
            UsageCommand.self, SyncCommand.self, StatusCommand.self, RunsCommand.self, JobsCommand.self, CheckCommand.self,
            NotifyCommand.self, AutotaskCommand.self, SecretsCommand.self,
        ]
    )
}
