import Autotask
import Huntress
public import Foundation
public import Logging
public import Postgres

/// The database session a `tally` command works on.
public typealias Database = Connection
/// Where the database is (DATABASE_URL, or libpq's PG* variables).
public typealias DatabaseConfiguration = ConnectionConfiguration

/// The composition root of the `tally` command's one-shot commands: the
/// database session, the tenant named on the command line, and the Autotask
/// client a command needs, built here and nowhere in the CLI.
public enum Commands {
    /// Autotask's own zone lookup, where credentials are sent unless the operator names another.
    public static let defaultZoneLookupURL = AutotaskConfiguration.defaultZoneLookupURL
    /// Huntress's public API.
    public static let defaultHuntressURL = HuntressConfiguration.defaultBaseURL

    public static func connect(_ purpose: String) async throws -> Database {
        let configuration = DatabaseConfiguration.fromEnvironment(applicationName: "tally \(purpose)")
        let db = try await Connection.connect(configuration)
        try await SessionPinning.verify(db, configuration: configuration)
        return db
    }

    /// A session and the id of the tenant named on the command line.
    public static func connect(_ purpose: String, tenant slug: String) async throws -> (Database, Int64) {
        let db = try await connect(purpose)
        return (db, try await TenantLookup.id(slug: slug, on: db))
    }

    /// Runs `body` with the tenant's Autotask (its secret opened with the
    /// process's key); the client is shut down after.
    public static func withAutotask<Result>(
        tenantID: Int64, zoneLookupURL: URL, logger: Logger, on db: Database, _ body: (TenantAutotask) async throws -> Result
    ) async throws -> Result {
        let tenant = try await SyncTenant.load(tenantID: tenantID, key: try SecretKey.fromProcess(), on: db)
        let client = autotaskClient(zoneLookupURL, logger: logger)
        return try await shuttingDown([client.shutdown]) {
            try await body(TenantAutotask(session: client.session(tenant.credentials), today: tenant.today))
        }
    }

    /// `tally check`.
    public static func check(
        tenantID: Int64, zoneLookupURL: URL, huntressURL: URL, logger: Logger, on db: Database
    ) async throws -> [TenantCheck.Item] {
        let key = try SecretKey.fromProcess()
        let client = autotaskClient(zoneLookupURL, logger: logger)
        var configuration = HuntressConfiguration.named(huntressURL)
        configuration.throttleRetries = 1
        let huntress = try HuntressClient(configuration: configuration, logger: logger)
        return try await shuttingDown([client.shutdown, huntress.shutdown]) {
            try await TenantCheck.run(tenantID: tenantID, key: key, client: client, huntress: huntress, on: db)
        }
    }

    /// `tally sync --dry-run`: the plan, with the sync's own services (its
    /// request meter counts the reads against the tenant's budget).
    public static func dryRun(
        tenantID: Int64, organizationID: Int64?, product: String?, zoneLookupURL: URL, logger: Logger
    ) async throws -> [SyncDryRun.Row] {
        let key = try SecretKey.fromProcess()
        let pool = ConnectionPool(configuration: .fromEnvironment(applicationName: "tally sync --dry-run"), maximumConnections: 2)
        defer { pool.close() }
        let meter = RequestMeter(pool: pool, logger: logger)
        let client = AutotaskClient(
            configuration: AutotaskConfiguration(zoneLookupURL: zoneLookupURL, onRequest: { await meter.record($0) }), logger: logger)
        return try await shuttingDown([client.shutdown]) {
            let rows = try await SyncDryRun.plan(
                tenantID: tenantID, organizationID: organizationID, product: product,
                services: SyncServices(pool: pool, autotask: client, secretKey: key, meter: meter))
            await meter.flush()
            return rows
        }
    }

    /// Runs `body`, then the shutdowns of the clients it used, whether it threw or not.
    private static func shuttingDown<Result>(
        _ shutdowns: [() async throws -> Void], body: () async throws -> Result
    ) async throws -> Result {
        let result: Result
        do {
            result = try await body()
        } catch {
            for shutdown in shutdowns { try? await shutdown() }
            throw error
        }
        for shutdown in shutdowns { try? await shutdown() }
        return result
    }

    /// A client for one command: reads retried once, not twice (a person is waiting).
    static func autotaskClient(_ zoneLookupURL: URL, logger: Logger) -> AutotaskClient {
        AutotaskClient(configuration: AutotaskConfiguration(zoneLookupURL: zoneLookupURL, readRetries: 1), logger: logger)
    }
}
