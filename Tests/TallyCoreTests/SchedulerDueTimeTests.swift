import Foundation
import Postgres
import TallyCore
import TestSupport
import Testing

/// When runs are due: local times in IANA time zones, DST gaps and repeats,
/// monthly days clamped to short months. Time is driven through `tick(now:)`.
@Suite("Scheduler due times")
struct SchedulerDueTimeTests {
    @Test func dailyRunsAreDueAtTheLocalTimeOfEachTimeZone() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let utc = try await Fixtures.addScheduledTenant("utc", time: "02:00", zone: "UTC", on: db)
            let newYork = try await Fixtures.addScheduledTenant("new-york", time: "02:00", zone: "America/New_York", on: db)
            let kolkata = try await Fixtures.addScheduledTenant("kolkata", time: "02:00", zone: "Asia/Kolkata", on: db)
            let chatham = try await Fixtures.addScheduledTenant("chatham", time: "23:45", zone: "Pacific/Chatham", on: db)

            // June: New York on EDT (−4), Chatham on standard time (+12:45);
            // in Chatham it is already 00:45 on the 16th, so its latest run is the 15th's.
            #expect(try await Fixtures.tick(at: "2026-06-15T12:00:00Z", on: db) == SchedulerTick(runs: 4, jobs: 0))
            #expect(try await Fixtures.dueTimes(of: utc, on: db) == ["2026-06-15T02:00:00Z"])
            #expect(try await Fixtures.dueTimes(of: newYork, on: db) == ["2026-06-15T06:00:00Z"])
            #expect(try await Fixtures.dueTimes(of: kolkata, on: db) == ["2026-06-14T20:30:00Z"])
            #expect(try await Fixtures.dueTimes(of: chatham, on: db) == ["2026-06-15T11:00:00Z"])

            // The next one is due at the instant, not a second before.
            #expect(try await Fixtures.tick(at: "2026-06-15T20:29:59Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-06-15T20:30:00Z", on: db).runs == 1)
            #expect(try await Fixtures.dueTimes(of: kolkata, on: db).last == "2026-06-15T20:30:00Z")

            // January: New York on EST (−5), Chatham on daylight time (+13:45).
            #expect(try await Fixtures.tick(at: "2027-01-15T12:00:00Z", on: db).runs == 4)
            #expect(try await Fixtures.dueTimes(of: utc, on: db).last == "2027-01-15T02:00:00Z")
            #expect(try await Fixtures.dueTimes(of: newYork, on: db).last == "2027-01-15T07:00:00Z")
            #expect(try await Fixtures.dueTimes(of: kolkata, on: db).last == "2027-01-14T20:30:00Z")
            #expect(try await Fixtures.dueTimes(of: chatham, on: db).last == "2027-01-15T10:00:00Z")
        }
    }

    @Test func aRunDueInTheSkippedHourOfSpringForwardRunsOnce() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            // 2026-03-08 in New York: 02:00 EST becomes 03:00 EDT; 02:30 never happens.
            let tenant = try await Fixtures.addScheduledTenant("gap", time: "02:30", zone: "America/New_York", on: db)
            try await Fixtures.tick(every: .seconds(600), from: "2026-03-07T00:00:00Z", to: "2026-03-10T00:00:00Z", on: db)
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == [
                "2026-03-06T07:30:00Z",  // 02:30 EST, the latest before the first tick
                "2026-03-07T07:30:00Z",  // 02:30 EST
                "2026-03-08T07:30:00Z",  // the skipped 02:30, read as EST: 03:30 EDT
                "2026-03-09T06:30:00Z",  // 02:30 EDT
            ])
        }
    }

    @Test func aRunDueInTheRepeatedHourOfFallBackRunsOnce() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            // 2026-11-01 in New York: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
            let tenant = try await Fixtures.addScheduledTenant("repeat", time: "01:30", zone: "America/New_York", on: db)
            try await Fixtures.tick(every: .seconds(600), from: "2026-10-31T00:00:00Z", to: "2026-11-02T12:00:00Z", on: db)
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == [
                "2026-10-30T05:30:00Z",  // 01:30 EDT
                "2026-10-31T05:30:00Z",  // 01:30 EDT
                "2026-11-01T06:30:00Z",  // the second 01:30 (EST) only
                "2026-11-02T06:30:00Z",  // 01:30 EST
            ])
        }
    }

    @Test func monthlyDay31ClampsToTheLastDayOfShorterMonths() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant("monthly-31", kind: "monthly", day: 31, time: "02:00", on: db)
            #expect(try await Fixtures.tick(at: "2026-02-28T01:59:59Z", on: db).runs == 1)  // January's
            #expect(try await Fixtures.tick(at: "2026-02-28T02:00:00Z", on: db).runs == 1)  // February: 28 days
            #expect(try await Fixtures.tick(at: "2026-03-30T12:00:00Z", on: db).runs == 0)
            #expect(try await Fixtures.tick(at: "2026-03-31T02:00:00Z", on: db).runs == 1)
            #expect(try await Fixtures.tick(at: "2026-04-30T02:00:00Z", on: db).runs == 1)  // April: 30 days
            #expect(try await Fixtures.tick(at: "2028-02-28T12:00:00Z", on: db).runs == 1)  // catch-up: January 2028's
            #expect(try await Fixtures.tick(at: "2028-02-29T02:00:00Z", on: db).runs == 1)  // a leap year: 29 days
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == [
                "2026-01-31T02:00:00Z", "2026-02-28T02:00:00Z", "2026-03-31T02:00:00Z", "2026-04-30T02:00:00Z",
                "2028-01-31T02:00:00Z", "2028-02-29T02:00:00Z",
            ])
            let triggers = try await db.query("SELECT DISTINCT trigger FROM runs").map { try $0.decode("trigger", as: String.self) }
            #expect(triggers == ["monthly"])
        }
    }

    @Test func monthlyDay30IsThe30thOfA31DayMonth() async throws {
        try await Fixtures.withMigratedDatabase { _, db in
            let tenant = try await Fixtures.addScheduledTenant(
                "monthly-30", kind: "monthly", day: 30, time: "09:15", zone: "Europe/Berlin", on: db)
            try await Fixtures.tick(every: .seconds(3 * 3600), from: "2026-03-29T00:00:00Z", to: "2026-05-01T00:00:00Z", on: db)
            #expect(try await Fixtures.dueTimes(of: tenant, on: db) == [
                "2026-02-28T08:15:00Z",  // February has no 30th: its last day (CET, +1)
                "2026-03-30T07:15:00Z",  // not the 31st (CEST, +2)
                "2026-04-30T07:15:00Z",
            ])
        }
    }
}
