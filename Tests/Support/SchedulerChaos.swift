public import Postgres

/// The tenants of issue 9's scenario 6, "schedulers killed among
/// themselves", for its test and its benchmark.
public enum SchedulerChaos {
    /// Adds `count` tenants (slugs `prefix-N`), each with 3 organizations and
    /// both products mapped, so a run has 6 jobs. The first `overdue` were due
    /// a minute ago; the others fall due one every `spacingMilliseconds`, the
    /// first `leadMilliseconds` from now. The time zone is one where the next
    /// minutes are today.
    public static func addTenants(
        count: Int, overdue: Int, spacingMilliseconds: Int, leadMilliseconds: Int, prefix: String, on db: Connection
    ) async throws {
        let hour = try await db.query("SELECT extract(hour FROM now() AT TIME ZONE 'UTC')::int AS h")[0].decode("h", as: Int.self)
        let zone = (1...22).contains(hour) ? "UTC" : "Asia/Tokyo"
        try await db.execute("""
            INSERT INTO tenants (slug, name, autotask_username, autotask_integration_code, time_zone, created_at, schedule_time)
            SELECT \(prefix) || '-' || g, \(prefix) || ' ' || g, 'api' || g, 'CODE', \(zone),
                   CASE WHEN g <= \(overdue) THEN now() - interval '2 days' ELSE now() END,
                   CASE WHEN g <= \(overdue) THEN (now() AT TIME ZONE \(zone) - interval '1 minute')::time
                        ELSE (now() AT TIME ZONE \(zone) + (g - \(overdue)) * \(spacingMilliseconds) * interval '1 millisecond'
                              + \(leadMilliseconds) * interval '1 millisecond')::time END
            FROM generate_series(1, \(count)) g
            """)
        try await db.execute("""
            INSERT INTO organizations (tenant_id, organization_id, name)
            SELECT tenant_id, g, 'Organization ' || g FROM tenants, generate_series(1, 3) g
            """)
        try await db.execute("INSERT INTO service_mappings (tenant_id, product, service_id) SELECT tenant_id, product, 1 FROM tenants, products")
    }

    /// Runs not at their tenant's due instant today, or without their 6 jobs.
    public static func misplacedRuns(on db: Connection) async throws -> Int {
        try await db.query("""
            SELECT count(*)::int AS n FROM runs r JOIN tenants t USING (tenant_id)
            WHERE r.due_at <> ((now() AT TIME ZONE t.time_zone)::date + t.schedule_time) AT TIME ZONE t.time_zone
               OR r.job_count <> 6
               OR (SELECT count(*) FROM jobs j WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id) <> 6
            """)[0].decode("n", as: Int.self)
    }
}
