public import Autotask
import Foundation
public import Postgres

/// Tenants: onboarding, settings, credentials, removal. Every change is
/// validated first and written in one transaction.
public enum TenantStore {
    /// An Autotask API user's credentials (which never print the secret).
    public typealias Credentials = AutotaskCredentials

    public static func add(
        slug: String, settings: TenantSettings, credentials: Credentials, key: SecretKey, on connection: Connection
    ) async throws -> Int64 {
        guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw InputError("the tenant name \(slug) is not a slug: use lower-case letters, digits and dashes (e.g. acme-msp), at most 63")
        }
        try validate(credentials)
        try settings.validate()
        try await validateTimeZone(settings.timeZone, on: connection)
        return try await connection.withTransaction { tx in
            if try await !tx.query("SELECT 1 FROM tenants WHERE slug = \(slug)").isEmpty {
                throw InputError("a tenant named \(slug) exists already: choose another name, or change it with `tally tenant schedule` and `tally tenant credentials`")
            }
            let schedule = settings.schedule ?? .daily(hour: 2, minute: 0)
            let id: Int64 = try await tx.query("""
                INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, time_zone, schedule_kind,
                                     schedule_day, schedule_time, concurrency_cap, hourly_request_budget, autotask_share_percent,
                                     guard_max_drop_percent, guard_allow_zero, usage_staleness_limit, paused, contract_notes)
                VALUES (\(slug), \(settings.name ?? slug), \(credentials.userName), \(credentials.integrationCode),
                        \(settings.timeZone ?? "UTC"), \(schedule.kind), \(schedule.day), \(schedule.time)::time,
                        \(settings.concurrencyCap ?? 3), \(settings.hourlyRequestBudget ?? 5000), \(settings.autotaskSharePercent ?? 80),
                        \(settings.guardMaxDropPercent ?? 50), \(settings.guardAllowZero ?? false),
                        make_interval(hours => \(settings.usageStalenessHours ?? 48)), \(settings.paused ?? false),
                        \(settings.contractNotes ?? true))
                RETURNING tenant_id
                """, name: "add tenant")[0].decode("tenant_id")
            try await TenantSecrets.store(credentials.secret, kind: .autotaskSecret, tenantID: id, key: key, on: tx)
            return id
        }
    }

    /// Changes the settings that are given; the others stay.
    public static func update(slug: String, settings: TenantSettings, on connection: Connection) async throws {
        try settings.validate()
        try await validateTimeZone(settings.timeZone, on: connection)
        let schedule = settings.schedule
        let changed = try await connection.execute("""
            UPDATE tenants SET
                name = coalesce(\(settings.name), name),
                time_zone = coalesce(\(settings.timeZone), time_zone),
                schedule_kind = coalesce(\(schedule?.kind), schedule_kind),
                schedule_day = CASE WHEN \(schedule != nil) THEN \(schedule?.day)::smallint ELSE schedule_day END,
                schedule_time = coalesce(\(schedule?.time)::time, schedule_time),
                concurrency_cap = coalesce(\(settings.concurrencyCap), concurrency_cap),
                hourly_request_budget = coalesce(\(settings.hourlyRequestBudget), hourly_request_budget),
                autotask_share_percent = coalesce(\(settings.autotaskSharePercent), autotask_share_percent),
                guard_max_drop_percent = coalesce(\(settings.guardMaxDropPercent)::smallint, guard_max_drop_percent),
                guard_allow_zero = coalesce(\(settings.guardAllowZero), guard_allow_zero),
                usage_staleness_limit = coalesce(make_interval(hours => \(settings.usageStalenessHours)), usage_staleness_limit),
                paused = coalesce(\(settings.paused), paused),
                contract_notes = coalesce(\(settings.contractNotes), contract_notes),
                updated_at = now()
            WHERE slug = \(slug)
            """, name: "update tenant")
        if changed == 0 { throw TenantNotFound(slug: slug) }
    }

    /// Replaces the Autotask API user's credentials; a nil field keeps its value.
    public static func setCredentials(
        slug: String, userName: String?, integrationCode: String?, secret: String?, key: SecretKey, on connection: Connection
    ) async throws {
        for (value, what) in [(userName, "user name"), (integrationCode, "integration code"), (secret, "secret")] {
            if let value, value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw InputError("the Autotask API \(what) must not be empty")
            }
        }
        try await connection.withTransaction { tx in
            let id = try await TenantLookup.id(slug: slug, on: tx)
            try await tx.execute("""
                UPDATE tenants SET autotask_username = coalesce(\(userName), autotask_username),
                    autotask_integration_code = coalesce(\(integrationCode), autotask_integration_code),
                    autotask_zone_url = CASE WHEN \(userName)::text IS NULL THEN autotask_zone_url END, updated_at = now()
                WHERE tenant_id = \(id)
                """, name: "update tenant credentials")
            if let secret { try await TenantSecrets.store(secret, kind: .autotaskSecret, tenantID: id, key: key, on: tx) }
        }
    }

    /// Deletes the tenant and everything of it (results included).
    public static func remove(slug: String, on connection: Connection) async throws {
        if try await connection.execute("DELETE FROM tenants WHERE slug = \(slug)", name: "remove tenant") == 0 {
            throw TenantNotFound(slug: slug)
        }
    }

    private static func validate(_ credentials: Credentials) throws(InputError) {
        if credentials.userName.trimmingCharacters(in: .whitespaces).isEmpty {
            throw InputError("the Autotask API user name must not be empty (--autotask-user)")
        }
        if credentials.integrationCode.trimmingCharacters(in: .whitespaces).isEmpty {
            throw InputError("the Autotask integration code must not be empty (--integration-code)")
        }
        if credentials.secret.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw InputError("the Autotask API secret is empty: give it on standard input, in an environment variable or in a file")
        }
    }

    static func validateTimeZone(_ zone: String?, on connection: Connection) async throws {
        guard let zone else { return }
        let known: Bool = try await connection.query("SELECT tally_is_time_zone(\(zone)) AS known")[0].decode("known")
        guard known else {
            throw InputError("\(zone) is not an IANA time zone PostgreSQL knows: write e.g. America/New_York, Europe/Berlin or UTC")
        }
    }
}
