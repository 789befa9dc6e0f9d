public import Autotask
public import Foundation
public import Postgres

/// What a sync needs to know of its tenant, read once per batch.
public struct SyncTenant: Sendable {
    public var tenantID: Int64
    public var slug: String
    public var credentials: AutotaskCredentials
    /// Today in the tenant's time zone: adjustments take effect on this day.
    public var today: AutotaskDay
    public var guardMaxDropPercent: Int
    public var guardAllowZero: Bool
    public var hourlyRequestBudget: Int
    /// Work waits while the Autotask database's own hourly count passes this percentage of its threshold.
    public var autotaskSharePercent: Int = 80
    public var stalenessLimit: String
    /// The database's clock when this was read: Autotask data read after it is newer.
    public var readAt: Date

    /// Loads the tenant and opens its Autotask secret.
    public static func load(tenantID: Int64, key: SecretKey, on connection: Connection) async throws -> SyncTenant {
        let rows = try await connection.query("""
            SELECT slug, autotask_username, autotask_integration_code,
                   to_char((now() AT TIME ZONE time_zone)::date, 'YYYY-MM-DD') AS today,
                   guard_max_drop_percent::int AS guard_max_drop_percent, guard_allow_zero, hourly_request_budget, autotask_share_percent,
                   usage_staleness_limit::text AS staleness, clock_timestamp() AS read_at
            FROM tenants WHERE tenant_id = \(tenantID)
            """, name: "load sync tenant")
        guard let row = rows.first else {
            throw SyncSetupError.permanent(.organizationRemoved, "tenant \(tenantID) no longer exists")
        }
        let slug: String = try row.decode("slug")
        guard let secret = try await TenantSecrets.load(.autotaskSecret, tenantID: tenantID, key: key, on: connection) else {
            throw SyncSetupError.permanent(.missingSecret, SecretError.missing(tenant: slug, kind: "autotask_secret").description)
        }
        let todayText: String = try row.decode("today")
        return SyncTenant(
            tenantID: tenantID, slug: slug,
            credentials: AutotaskCredentials(
                userName: try row.decode("autotask_username"), integrationCode: try row.decode("autotask_integration_code"),
                secret: secret, account: "tenant:\(tenantID)"),
            today: AutotaskDay(parsing: todayText)!,
            guardMaxDropPercent: try row.decode("guard_max_drop_percent"), guardAllowZero: try row.decode("guard_allow_zero"),
            hourlyRequestBudget: try row.decode("hourly_request_budget"), autotaskSharePercent: try row.decode("autotask_share_percent"),
            stalenessLimit: try row.decode("staleness"), readAt: try row.decode("read_at"))
    }
}

/// A problem of the tenant's own setup in Tally, found before any Autotask call.
public struct SyncSetupError: Error, Sendable, CustomStringConvertible {
    public var reason: SyncReason
    public var message: String

    public var description: String { message }

    static func permanent(_ reason: SyncReason, _ message: String) -> SyncSetupError {
        SyncSetupError(reason: reason, message: message)
    }
}
