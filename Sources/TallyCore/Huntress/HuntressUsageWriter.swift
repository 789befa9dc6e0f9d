import Foundation
import Huntress
import Postgres

/// Writes what a refresh read, in the caller's transaction: organizations upserted by
/// their Huntress id (a rename keeps every mapping), those missing from the
/// list marked removed, and usage with its source and the time Huntress
/// answered — never over a newer observation.
enum HuntressUsageWriter {
    struct Counts: Codable, Sendable, Equatable {
        var organizations = 0
        var added = 0
        var renamed = 0
        var removed = 0
        /// Marked removed before, listed again now.
        var returned = 0
        var usageWritten = 0
    }

    static func write(_ reading: HuntressUsageReader.Reading, tenantID: Int64, on connection: Connection) async throws -> Counts {
        let ids = reading.organizations.map { Int64($0.id) }
        let names = reading.organizations.map { organization in
            let name = DisplayName.cleaned(organization.name ?? "")
            return name.isEmpty ? "Huntress organization \(organization.id)" : name
        }
        let row = try await connection.query("""
                WITH incoming AS (
                    SELECT * FROM unnest(\(ids)::bigint[], \(names)::text[]) AS n (organization_id, name)
                ),
                before AS (
                    SELECT o.organization_id, o.name, o.removed_at FROM organizations o
                    WHERE o.tenant_id = \(tenantID) AND o.organization_id IN (SELECT organization_id FROM incoming)
                ),
                upserted AS (
                    INSERT INTO organizations (tenant_id, organization_id, name)
                    SELECT \(tenantID), organization_id, name FROM incoming ORDER BY organization_id
                    ON CONFLICT (tenant_id, organization_id) DO UPDATE
                    SET name = EXCLUDED.name, removed_at = NULL, updated_at = now()
                    WHERE organizations.name IS DISTINCT FROM EXCLUDED.name OR organizations.removed_at IS NOT NULL
                    RETURNING 1
                ),
                gone AS (
                    UPDATE organizations SET removed_at = now(), updated_at = now()
                    WHERE tenant_id = \(tenantID) AND removed_at IS NULL
                      AND organization_id <> ALL (\(ids)::bigint[])
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM incoming)::int AS organizations,
                       (SELECT count(*) FROM incoming)::int - (SELECT count(*) FROM before)::int AS added,
                       (SELECT count(*) FROM before b JOIN incoming i USING (organization_id) WHERE b.name <> i.name)::int AS renamed,
                       (SELECT count(*) FROM before WHERE removed_at IS NOT NULL)::int AS returned,
                       (SELECT count(*) FROM gone)::int AS removed,
                       (SELECT count(*) FROM upserted)::int AS upserted
                """, name: "huntress organizations", prepared: true)[0]
        var counts = Counts(
            organizations: try row.decode("organizations"), added: try row.decode("added"), renamed: try row.decode("renamed"),
            removed: try row.decode("removed"), returned: try row.decode("returned"))
        counts.usageWritten = try await UsageStore.writeObservations(reading.usage, tenantID: tenantID, source: "huntress", on: connection)
        return counts
    }
}
