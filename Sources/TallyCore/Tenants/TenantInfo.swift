public import Foundation
public import Postgres

/// A tenant as `tally tenant list` and `show` print it (never its secret).
public struct TenantInfo: Sendable, Codable {
    public var slug: String
    public var name: String
    public var autotaskUsername: String
    public var integrationCode: String
    public var timeZone: String
    public var schedule: String
    public var concurrencyCap: Int
    public var hourlyRequestBudget: Int
    public var guardMaxDropPercent: Int
    public var guardAllowZero: Bool
    public var usageStalenessLimit: String
    public var paused: Bool
    public var contractNotes: Bool
    /// The id of the key the Autotask secret is sealed with; nil: no secret stored.
    public var secretKeyID: String?
    public var organizations: Int
    public var mappedOrganizations: Int
    public var mappedProducts: [String]
    public var createdAt: Date

    public static func all(on connection: Connection) async throws -> [TenantInfo] {
        try await fetch(nil, on: connection)
    }

    public static func one(slug: String, on connection: Connection) async throws -> TenantInfo {
        guard let tenant = try await fetch(slug, on: connection).first else { throw TenantNotFound(slug: slug) }
        return tenant
    }

    private static func fetch(_ slug: String?, on connection: Connection) async throws -> [TenantInfo] {
        try await connection.query("""
            SELECT t.slug, t.name, t.autotask_username, t.autotask_integration_code, t.time_zone, t.schedule_kind,
                   t.schedule_day::int AS schedule_day, to_char(t.schedule_time, 'HH24:MI') AS schedule_time,
                   t.concurrency_cap, t.hourly_request_budget, t.guard_max_drop_percent::int AS guard_max_drop_percent,
                   t.guard_allow_zero, t.usage_staleness_limit::text AS staleness, t.paused, t.contract_notes, t.created_at,
                   (SELECT key_id FROM tenant_secrets s WHERE s.tenant_id = t.tenant_id AND s.kind = 'autotask_secret') AS key_id,
                   (SELECT count(*)::int FROM organizations o WHERE o.tenant_id = t.tenant_id) AS organizations,
                   (SELECT count(*)::int FROM organizations o WHERE o.tenant_id = t.tenant_id AND o.contract_id IS NOT NULL) AS mapped,
                   (SELECT coalesce(string_agg(m.product, ',' ORDER BY m.product), '') FROM service_mappings m
                    WHERE m.tenant_id = t.tenant_id) AS products
            FROM tenants t WHERE \(slug)::text IS NULL OR t.slug = \(slug)
            ORDER BY t.slug
            """, name: "tenant info").map { row in
            TenantInfo(
                slug: try row.decode("slug"), name: try row.decode("name"), autotaskUsername: try row.decode("autotask_username"),
                integrationCode: try row.decode("autotask_integration_code"), timeZone: try row.decode("time_zone"),
                schedule: Schedule(kind: try row.decode("schedule_kind"), day: try row.decode("schedule_day"),
                                   time: try row.decode("schedule_time")).description,
                concurrencyCap: try row.decode("concurrency_cap"), hourlyRequestBudget: try row.decode("hourly_request_budget"),
                guardMaxDropPercent: try row.decode("guard_max_drop_percent"), guardAllowZero: try row.decode("guard_allow_zero"),
                usageStalenessLimit: try row.decode("staleness"), paused: try row.decode("paused"),
                contractNotes: try row.decode("contract_notes"),
                secretKeyID: try row.decode("key_id"), organizations: try row.decode("organizations"),
                mappedOrganizations: try row.decode("mapped"),
                mappedProducts: (try row.decode("products", as: String.self)).split(separator: ",").map(String.init),
                createdAt: try row.decode("created_at"))
        }
    }
}
