public import Foundation
public import Postgres

/// `dashboard.run_changes`: one adjustment a run posted.
public struct RunChange: Codable, Sendable, Equatable {
    public var runID: Int64
    public var organizationID: Int64
    public var organizationName: String
    public var product: String
    public var productName: String
    public var unitName: String
    public var contractID: Int64?
    public var serviceID: Int64?
    public var unitsBefore: Int
    public var unitsAfter: Int
    public var adjustmentID: Int64
    public var jobID: Int64
    public var finishedAt: Date

    init(_ row: Row) throws {
        runID = try row.decode("run_id")
        organizationID = try row.decode("organization_id")
        organizationName = try row.decode("organization_name")
        product = try row.decode("product")
        productName = try row.decode("product_name")
        unitName = try row.decode("unit_name")
        contractID = try row.decode("contract_id")
        serviceID = try row.decode("service_id")
        unitsBefore = try row.decode("units_before")
        unitsAfter = try row.decode("units_after")
        adjustmentID = try row.decode("adjustment_id")
        jobID = try row.decode("job_id")
        finishedAt = try row.decode("finished_at")
    }
}

/// A run with the units it changed: `tally runs`.
public struct RunSummary: Codable, Sendable, Equatable {
    public var run: DashboardRun
    /// Adjustments posted.
    public var adjustments: Int
    /// Units added and removed over all of them.
    public var unitsAdded: Int
    public var unitsRemoved: Int
}

/// `tally status TENANT --changes`: what the tenant's last run changed.
public struct LastRunChanges: Codable, Sendable {
    /// Nil when the tenant has no run yet.
    public var run: DashboardRun?
    public var changes: [RunChange]

    /// Throws `TenantNotFound` for an unknown slug.
    public static func load(slug: String, on connection: Connection) async throws -> LastRunChanges {
        let tenantID = try await Dashboard.tenantID(slug: slug, on: connection)
        guard let run = try await Dashboard.runs(tenantID: tenantID, limit: 1, on: connection).first else {
            return LastRunChanges(run: nil, changes: [])
        }
        return LastRunChanges(run: run, changes: try await Dashboard.changes(tenantID: tenantID, runID: run.runID, on: connection))
    }
}

extension Dashboard {
    /// The adjustments one run posted, in the order they were made.
    public static func changes(tenantID: Int64, runID: Int64, on connection: Connection) async throws -> [RunChange] {
        try await connection.query("""
            SELECT run_id, organization_id, organization_name, product, product_name, unit_name, contract_id, service_id,
                   units_before, units_after, adjustment_id, job_id, finished_at
            FROM dashboard.run_changes
            WHERE tenant_id = \(tenantID) AND run_id = \(runID)
            ORDER BY finished_at, adjustment_id
            """, name: "dashboard changes of a run").map(RunChange.init)
    }

    /// The tenant's latest runs, newest first, each with the units it changed.
    public static func runSummaries(slug: String, limit: Int, on connection: Connection) async throws -> [RunSummary] {
        let tenantID = try await tenantID(slug: slug, on: connection)
        let runs = try await runs(tenantID: tenantID, limit: limit, on: connection)
        let rows = try await connection.query("""
            SELECT run_id, count(*)::int AS adjustments,
                   coalesce(sum(greatest(change, 0)), 0)::int AS added, coalesce(sum(greatest(-change, 0)), 0)::int AS removed
            FROM dashboard.run_changes
            WHERE tenant_id = \(tenantID) AND run_id = ANY (\(runs.map(\.runID))::bigint[])
            GROUP BY run_id
            """, name: "dashboard units changed by runs")
        var changed: [Int64: (adjustments: Int, added: Int, removed: Int)] = [:]
        for row in rows {
            changed[try row.decode("run_id")] = (try row.decode("adjustments"), try row.decode("added"), try row.decode("removed"))
        }
        return runs.map { run in
            let units = changed[run.runID] ?? (0, 0, 0)
            return RunSummary(run: run, adjustments: units.adjustments, unitsAdded: units.added, unitsRemoved: units.removed)
        }
    }
}
