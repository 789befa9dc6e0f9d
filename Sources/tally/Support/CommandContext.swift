import ArgumentParser
import Autotask
import Foundation
import Postgres
import TallyCore

/// What commands that touch the database (and Autotask) need.
enum CommandContext {
    static func connect(_ purpose: String) async throws -> Connection {
        try await Connection.connect(.fromEnvironment(applicationName: "tally \(purpose)"))
    }

    /// A connection and the id of the tenant named on the command line.
    static func connect(_ purpose: String, tenant slug: String) async throws -> (Connection, Int64) {
        let db = try await connect(purpose)
        return (db, try await TenantLookup.id(slug: slug, on: db))
    }

    static func secretKey() throws -> SecretKey {
        try SecretKey.fromEnvironment()
    }

    /// An Autotask client for one command; shut it down when done.
    static func autotaskClient(_ options: AutotaskOptions) throws -> AutotaskClient {
        AutotaskClient(configuration: AutotaskConfiguration(zoneLookupURL: try options.zoneLookupURL(), readRetries: 1),
                       logger: makeLogger(label: "tally.autotask"))
    }

    /// Runs `body` with the tenant's Autotask session; the client is shut down after.
    static func withAutotask<Result>(
        tenant slug: String, options: AutotaskOptions, on connection: Connection,
        _ body: (AutotaskSession, SyncTenant) async throws -> Result
    ) async throws -> Result {
        let tenantID = try await TenantLookup.id(slug: slug, on: connection)
        let tenant = try await SyncTenant.load(tenantID: tenantID, key: try secretKey(), on: connection)
        let client = try autotaskClient(options)
        do {
            let result = try await body(client.session(tenant.credentials), tenant)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
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
        let text: String?
        if fromStandardInput {
            text = readLine(strippingNewline: true)
            guard text != nil else { throw InputError("standard input was empty: pipe the secret in, e.g. `printf %s \"$SECRET\" | tally …`") }
        } else if let environmentVariable {
            guard let value = ProcessInfo.processInfo.environment[environmentVariable] else {
                throw InputError("the environment variable \(environmentVariable) is not set: export it with the secret, or use --secret-stdin")
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
