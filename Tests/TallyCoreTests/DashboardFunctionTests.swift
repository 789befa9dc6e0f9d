import Autotask
import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// The functions behind the views: the next due instant and the fix for each reason code.
@Suite("Dashboard functions")
struct DashboardFunctionTests {
    private func nextDue(_ kind: String, _ day: Int?, _ time: String, _ zone: String, at now: String, on db: Connection) async throws -> String? {
        let rows = try await db.query("""
            SELECT to_char(tally_next_due(\(kind), \(day)::int, \(time)::time, \(zone), \(now)::timestamptz) AT TIME ZONE 'UTC',
                           'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS due
            """)
        return try rows[0].decode("due")
    }

    @Test func theNextDueInstantFollowsTheSchedule() async throws {
        try await Fixtures.withMigratedDatabase { _, db async throws in
            // Daily 02:00 New York (EST, −5): today's is ahead, then tomorrow's.
            #expect(try await nextDue("daily", nil, "02:00", "America/New_York", at: "2026-01-10T06:59:59Z", on: db) == "2026-01-10T07:00:00Z")
            #expect(try await nextDue("daily", nil, "02:00", "America/New_York", at: "2026-01-10T07:00:00Z", on: db) == "2026-01-11T07:00:00Z")
            // The skipped 02:30 of 2026-03-08 is read as EST: 03:30 EDT, as tally_latest_due reads it.
            #expect(try await nextDue("daily", nil, "02:30", "America/New_York", at: "2026-03-08T05:00:00Z", on: db) == "2026-03-08T07:30:00Z")
            // Monthly on the 31st: February's last day, then March 31.
            #expect(try await nextDue("monthly", 31, "06:30", "UTC", at: "2026-02-10T00:00:00Z", on: db) == "2026-02-28T06:30:00Z")
            #expect(try await nextDue("monthly", 31, "06:30", "UTC", at: "2026-02-28T06:30:00Z", on: db) == "2026-03-31T06:30:00Z")
            #expect(try await nextDue("manual", nil, "02:00", "UTC", at: "2026-02-10T00:00:00Z", on: db) == nil)
        }
    }

    /// Against tally_latest_due (004), which the scheduler runs by: the next
    /// instant is due, and nothing is due between now and it.
    @Test func theNextDueInstantAgreesWithTheScheduler() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let rows = try await db.query("""
                WITH schedules (kind, day, at, zone) AS (VALUES
                    ('daily', NULL::int, time '02:30', 'America/New_York'), ('daily', NULL, time '01:30', 'America/New_York'),
                    ('daily', NULL, time '00:15', 'Australia/Lord_Howe'), ('monthly', 31, time '06:30', 'Pacific/Chatham'),
                    ('monthly', 29, time '02:00', 'Europe/Berlin')),
                checks AS (
                    SELECT s.*, t.now, tally_next_due(s.kind, s.day, s.at, s.zone, t.now) AS next
                    FROM schedules s,
                         generate_series(timestamptz '2026-01-01 00:00Z', timestamptz '2027-01-01 00:00Z', interval '127 minutes') AS t(now))
                SELECT count(*)::int AS checked,
                       count(*) FILTER (WHERE next IS NULL OR next <= now
                           OR tally_latest_due(kind, day, at, zone, next) IS DISTINCT FROM next
                           OR tally_latest_due(kind, day, at, zone, next - interval '1 microsecond')
                              IS DISTINCT FROM tally_latest_due(kind, day, at, zone, now))::int AS wrong
                FROM checks
                """)
            #expect(try rows[0].decode("checked", as: Int.self) > 20_000)
            #expect(try rows[0].decode("wrong", as: Int.self) == 0)
        }
    }

    @Test func everyReasonThatNeedsAPersonHasAFix() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let success: Set<String> = [SyncReason.unchanged.rawValue, SyncReason.adjusted.rawValue]
            let codes = SyncReason.allCases.map(\.rawValue).filter { !success.contains($0) }
                + AutotaskError.Reason.allCases.map(\.snakeCased) + ["cancelled", "failed"]
            let rows = try await db.query(
                "SELECT code FROM unnest(\(codes)::text[]) AS code WHERE tally_reason_fix(code) IS NULL ORDER BY code")
            #expect(try rows.map { try $0.decode("code", as: String.self) } == [])
            for code in success {
                #expect(try await db.query("SELECT tally_reason_fix(\(code)) AS fix")[0].decode("fix", as: String?.self) == nil)
            }
        }
    }
}
