import ArgumentParser
import Foundation
import TallyCore

/// What commands that touch the database and Autotask need, from TallyCore's `Commands`.
enum CommandContext {
    static func secretKey() throws -> SecretKey {
        try SecretKey.fromProcess()
    }

    /// Runs `body` with the tenant's Autotask; the client is shut down after.
    static func withAutotask<Result>(
        tenantID: Int64, options: AutotaskOptions, on db: Database, _ body: (TenantAutotask) async throws -> Result
    ) async throws -> Result {
        try await Commands.withAutotask(
            tenantID: tenantID, zoneLookupURL: try options.zoneLookupURL(), logger: makeLogger(label: "tally.autotask"), on: db, body)
    }
}

/// Where a secret comes from: never the command line, where `ps` would show it.
struct SecretSource: ParsableArguments {
    @Flag(name: .customLong("secret-stdin"), help: "Read the Autotask API secret from standard input (one line).")
    var fromStandardInput = false

    @Option(name: .customLong("secret-env"), help: "Read the secret from this environment variable.")
    var environmentVariable: String?

    @Option(name: .customLong("secret-file"), help: "Read the secret from this file (its first line).")
    var file: String?

    var isGiven: Bool { fromStandardInput || environmentVariable != nil || file != nil }

    func validate() throws {
        let given = [fromStandardInput, environmentVariable != nil, file != nil].filter { $0 }.count
        guard given <= 1 else { throw ValidationError("give the secret one way: --secret-stdin, --secret-env or --secret-file") }
    }

    func read() throws -> String? {
        try SecretInput.read(fromStandardInput: fromStandardInput, environmentVariable: environmentVariable, file: file)
    }
}

/// A Huntress key pair, `PUBLIC:PRIVATE`: never from the command line, where `ps` would show it.
struct HuntressKeySource: ParsableArguments {
    @Flag(name: .customLong("key-stdin"), help: "Read the Huntress key pair (PUBLIC:PRIVATE) from standard input (one line).")
    var fromStandardInput = false

    @Option(name: .customLong("key-env"), help: "Read the key pair from this environment variable.")
    var environmentVariable: String?

    @Option(name: .customLong("key-file"), help: "Read the key pair from this file (its first line).")
    var file: String?

    var isGiven: Bool { fromStandardInput || environmentVariable != nil || file != nil }

    func validate() throws {
        let given = [fromStandardInput, environmentVariable != nil, file != nil].filter { $0 }.count
        guard given <= 1 else { throw ValidationError("give the key pair one way: --key-stdin, --key-env or --key-file") }
    }

    func read() throws -> String? {
        try SecretInput.read(fromStandardInput: fromStandardInput, environmentVariable: environmentVariable, file: file)
    }
}

/// Reads a secret from standard input, an environment variable or a file's first line.
enum SecretInput {
    static func read(fromStandardInput: Bool, environmentVariable: String?, file: String?) throws -> String? {
        let text: String?
        if fromStandardInput {
            text = readLine(strippingNewline: true)
            guard text != nil else { throw InputError("standard input was empty: pipe the secret in, e.g. `printf %s \"$SECRET\" | tally …`") }
        } else if let environmentVariable {
            guard let value = ProcessInfo.processInfo.environment[environmentVariable] else {
                throw InputError("the environment variable \(environmentVariable) is not set: export it with the secret, or read it from standard input")
            }
            text = value
        } else if let file {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw InputError("cannot read the secret file \(file): check its path and permissions")
            }
            text = contents.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        } else {
            return nil
        }
        return text?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

}
