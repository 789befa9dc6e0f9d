import Foundation
import Postgres
import TallyCore
import TestSupport

/// Tenants with schedules and sync targets, written with SQL as an operator
/// or the host platform would, and ticks at chosen instants.
extension Fixtures {
    /// An instant written as ISO 8601 (`2026-03-08T07:30:00Z`).
    static func instant(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("not an ISO 8601 instant: \(text)") }
        return date
    }

    /// Adds a tenant with a schedule; answers its id.
    static func addScheduledTenant(
        _ slug: String, kind: String = "daily", day: Int? = nil, time: String = "02:00", zone: String = "UTC",
        createdAt: String = "2026-01-01T00:00:00Z", paused: Bool = false, on db: Connection
    ) async throws -> Int64 {
        try await db.query("""
            INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code,
                                 schedule_kind, schedule_day, schedule_time, time_zone, created_at, paused)
            VALUES (\(slug), \(slug), \("api@\(slug).example"), 'CODE',
                    \(kind), \(day)::smallint, \(time)::time, \(zone), \(createdAt)::timestamptz, \(paused))
            RETURNING tenant_id
            """)[0].decode("tenant_id")
    }

    /// Adds organizations 1…`organizations` to a tenant and maps each of `products` to a service.
    static func addTargets(tenant: Int64, organizations: Int, mapped products: [String], on db: Connection) async throws {
        try await db.execute("""
            INSERT INTO organizations (tenant_id, organization_id, name)
            SELECT \(tenant), g, 'Organization ' || g FROM generate_series(1, \(organizations)) g
            """)
        try await db.execute("""
            INSERT INTO service_mappings (tenant_id, product, service_id)
            SELECT \(tenant), p, 100 FROM unnest(\(products)::text[]) p
            """)
    }

    @discardableResult
    static func tick(at text: String, on db: Connection) async throws -> SchedulerTick {
        try await Scheduler.tick(now: instant(text), on: db)
    }

    /// Ticks every `step` from `start` to `end` (inclusive).
    static func tick(every step: Duration, from start: String, to end: String, on db: Connection) async throws {
        var now = instant(start)
        let last = instant(end)
        while now <= last {
            try await Scheduler.tick(now: now, on: db)
            now += step.seconds
        }
    }

    /// The due instants of a tenant's scheduled runs, oldest first, as `2026-03-08T07:30:00Z`.
    static func dueTimes(of tenant: Int64, on db: Connection) async throws -> [String] {
        try await db.query("""
            SELECT to_char(due_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS due FROM runs
            WHERE tenant_id = \(tenant) AND due_at IS NOT NULL ORDER BY due_at
            """).map { try $0.decode("due") }
    }
}
