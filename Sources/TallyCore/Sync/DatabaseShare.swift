import Autotask
import Foundation
import Postgres
import TallyQueue

/// The MSP's shared budget. Autotask's hourly threshold counts the requests of
/// every integration of the database, not only Tally's: before a batch reads,
/// the tenant's work waits while the database's own count (ThresholdInformation)
/// is past the tenant's share of the threshold. The count is read at most once
/// per `interval` per tenant across the cluster: the worker that moves
/// `autotask_thresholds.read_at` reads it, the others use what it stored.
enum DatabaseShare {
    static let interval: Duration = .seconds(180)

    struct Reading {
        var used: Int
        var threshold: Int
        var readAt: Date
    }

    static func check(tenant: SyncTenant, session: AutotaskSession, services: SyncServices) async throws {
        guard let reading = try await reading(tenant: tenant, session: session, services: services) else { return }
        try enforce(reading, sharePercent: tenant.autotaskSharePercent)
    }

    static func enforce(_ reading: Reading, sharePercent: Int) throws {
        guard reading.threshold > 0, reading.used * 100 >= reading.threshold * sharePercent else { return }
        let until = reading.readAt.addingTimeInterval(interval.seconds)
        throw DatabaseBusy(reading: reading, sharePercent: sharePercent, until: max(until, Date().addingTimeInterval(5)))
    }

    /// The stored reading, or a fresh one when it is older than `interval` (nil: Autotask would not say).
    /// While another worker takes a tenant's very first reading, waits for it (up to 3 s).
    private static func reading(tenant: SyncTenant, session: AutotaskSession, services: SyncServices) async throws -> Reading? {
        for _ in 0..<15 {
            if case .known(let reading) = try await readingOnce(tenant: tenant, session: session, services: services) { return reading }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    private enum Attempt {
        case known(Reading?)
        /// Another worker is taking the tenant's first reading.
        case pending
    }

    private static func readingOnce(tenant: SyncTenant, session: AutotaskSession, services: SyncServices) async throws -> Attempt {
        let row = try await services.pool.withConnection { connection in
            try await connection.query("""
                WITH claimed AS (
                    INSERT INTO autotask_thresholds AS a (tenant_id, read_at) VALUES (\(tenant.tenantID), now())
                    ON CONFLICT (tenant_id) DO UPDATE SET read_at = now()
                    WHERE a.read_at < now() - make_interval(secs => \(interval.seconds))
                    RETURNING 1
                )
                SELECT EXISTS (SELECT 1 FROM claimed) AS due, a.used, a.threshold, a.read_at
                FROM (SELECT 1) AS one LEFT JOIN autotask_thresholds a ON a.tenant_id = \(tenant.tenantID)
                """, name: "claim autotask threshold reading", prepared: true)[0]
        }
        if try row.decode("due", as: Bool.self) {
            let information: ThresholdInformation
            do {
                information = try await session.thresholdInformation()
            } catch let error as AutotaskError where error.reason != .badCredentials {
                return .known(nil)  // the tenant's own budget still guards; the next batch asks again after `interval`
            }
            let now = Date()
            try await services.pool.withConnection { connection in
                try await connection.execute("""
                    UPDATE autotask_thresholds SET used = \(information.currentTimeframeRequestCount),
                           threshold = \(information.externalRequestThreshold)
                    WHERE tenant_id = \(tenant.tenantID)
                    """, name: "store autotask threshold reading", prepared: true)
            }
            return .known(Reading(used: information.currentTimeframeRequestCount, threshold: information.externalRequestThreshold, readAt: now))
        }
        guard let used: Int = try row.decode("used"), let threshold: Int = try row.decode("threshold") else { return .pending }
        return .known(Reading(used: used, threshold: threshold, readAt: try row.decode("read_at")))
    }
}

/// The Autotask database is busier than the tenant lets Tally add to.
struct DatabaseBusy: Error, CustomStringConvertible {
    var reading: DatabaseShare.Reading
    var sharePercent: Int
    var until: Date

    var description: String {
        "the Autotask database has used \(reading.used) of its \(reading.threshold) requests this hour (every integration's, "
            + "read \(reading.readAt.formatted(.iso8601))), past the tenant's share of \(sharePercent) %: Tally waits until "
            + "\(until.formatted(.iso8601)) and reads the count again; raise the share with `tally tenant schedule TENANT --autotask-share N`, "
            + "or find the integration that uses the rest"
    }
}
