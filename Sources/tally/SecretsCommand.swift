import ArgumentParser
import Foundation
import TallyCore

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "The key that seals tenants' secrets.",
        subcommands: [NewKey.self, Rekey.self]
    )

    struct NewKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-key", abstract: "Print a new random key (base64 of 32 bytes) for TALLY_SECRET_KEY.")

        func run() async throws { print(SecretKey.generate()) }
    }

    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every secret with a new key, in one transaction.",
            discussion: """
                TALLY_SECRET_KEY (or TALLY_SECRET_KEY_FILE) is the current key; the new key is read \
                from the environment variable named by --new-key-env. Without failed syncs: first give every worker \
                both keys (TALLY_SECRET_KEY=NEW,OLD), then rekey, then give them the new key alone. A worker that \
                meets a secret under a key it lacks retries the job later. Running it again re-seals what a \
                concurrent credential write left under the old key.

                Example:
                  TALLY_NEW_SECRET_KEY=$(tally secrets new-key) tally secrets rekey --new-key-env TALLY_NEW_SECRET_KEY
                """)
        @Option(name: .customLong("new-key-env"), help: "The environment variable holding the new key.")
        var newKeyEnvironment: String

        func run() async throws {
            try await reportingFailures {
                let old = try CommandContext.secretKey()
                guard let text = ProcessInfo.processInfo.environment[newKeyEnvironment] else {
                    throw InputError("the environment variable \(newKeyEnvironment) is not set: export the new key in it")
                }
                let new = try SecretKey(base64: text)
                let report = try await SecretRekey.rekey(from: old, to: new, on: try await Commands.connect("secrets rekey"))
                print("re-sealed \(report.resealed) secrets with key \(new.id) (\(report.alreadyCurrent) were under it already); "
                    + "once every worker holds it, set TALLY_SECRET_KEY to the new key alone")
            }
        }
    }
}
