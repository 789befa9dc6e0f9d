import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Values sent and read back")
struct TypeRoundTripTests {
    struct Payload: Codable, Equatable, Sendable {
        var name: String
        var counts: [Int]
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            let uuid = UUID()
            let date = Date(timeIntervalSince1970: 1_764_120_890.123456)
            let bytes = Data([0, 1, 2, 0xFF, 0x5C, 0x78, 0])
            let text = "Zoë's \"MSP\" — 東京 🚀 \\ back\nslash"
            let payload = Payload(name: "ünï", counts: [1, 2, 3])
            let rows = try await connection.query("""
                SELECT \(42)::int AS int, \(Int64.max)::bigint AS big, \(Int32.min)::int4 AS small,
                       \(3.25)::float8 AS double, \(true)::bool AS yes, \(false)::bool AS no,
                       \(text)::text AS text, \(uuid)::uuid AS uuid, \(date)::timestamptz AS at,
                       \(bytes)::bytea AS bytes, \(JSON(payload))::jsonb AS payload,
                       \(Double.infinity)::float8 AS inf, '2026-02-28'::date AS day
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("int", as: Int.self) == 42)
            #expect(try row.decode("big", as: Int64.self) == Int64.max)
            #expect(try row.decode("small", as: Int32.self) == Int32.min)
            #expect(try row.decode("double", as: Double.self) == 3.25)
            #expect(try row.decode("yes", as: Bool.self) == true)
            #expect(try row.decode("no", as: Bool.self) == false)
            #expect(try row.decode("text", as: String.self) == text)
            #expect(try row.decode("uuid", as: UUID.self) == uuid)
            let readDate = try row.decode("at", as: Date.self)
            #expect(abs(readDate.timeIntervalSince(date)) < 0.000_002)
            #expect(try row.decode("bytes", as: Data.self) == bytes)
            #expect(try row.decode("payload", as: JSON<Payload>.self).value == payload)
            #expect(try row.decode("inf", as: Double.self) == .infinity)
            let day = try row.decode("day", as: Date.self)
            #expect(day == Date(timeIntervalSince1970: 1_772_236_800))
        }
    }

    @Test func nullsRoundTripAsOptionals() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            let none: Int? = nil
            let noText: String? = nil
            let noData: Data? = nil
            let noDate: Date? = nil
            let noUUID: UUID? = nil
            let rows = try await connection.query("""
                SELECT \(none)::int AS int, \(noText)::text AS text, \(noData)::bytea AS bytes,
                       \(noDate)::timestamptz AS at, \(noUUID)::uuid AS uuid, \(Optional(7))::int AS seven
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("int", as: Int?.self) == nil)
            #expect(try row.decode("text", as: String?.self) == nil)
            #expect(try row.decode("bytes", as: Data?.self) == nil)
            #expect(try row.decode("at", as: Date?.self) == nil)
            #expect(try row.decode("uuid", as: UUID?.self) == nil)
            #expect(try row.decode("seven", as: Int?.self) == 7)
            let error = try #require(throws: PostgresError.self) { try row.decode("int", as: Int.self) }
            #expect(error.kind == .decoding)
            #expect(error.description.contains("\"int\" is NULL"))
        }
    }

    @Test func aTypeMismatchNamesTheColumn() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            let row = try #require(try await connection.query("SELECT 'abc'::text AS label, 5 AS n", name: "mismatch").first)
            let error = try #require(throws: PostgresError.self) { try row.decode("label", as: Int.self) }
            #expect(error.kind == .decoding)
            #expect(error.description.contains("column \"label\" (text) cannot be read as Int"))
            #expect(error.statement == "mismatch")
            let missing = try #require(throws: PostgresError.self) { try row.decode("units", as: Int.self) }
            #expect(missing.description.contains("no column \"units\""))
            #expect(throws: PostgresError.self) { try row.decode("n", as: Bool.self) }
        }
    }

    @Test func arraysCarryManyRowsInOneStatement() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE items (id bigint PRIMARY KEY, label text, note text)")
            let ids = (1...10_000).map { Int64($0) }
            let labels = ids.map { "item \"\($0)\", {x}\\" }
            let notes: [String?] = ids.map { $0 % 2 == 0 ? nil : "odd" }
            let inserted = try await connection.execute("""
                INSERT INTO items (id, label, note)
                SELECT * FROM unnest(\(ids)::bigint[], \(labels)::text[], \(notes)::text[])
                """, name: "bulk insert items")
            #expect(inserted == 10_000)
            let rows = try await connection.query("SELECT id, label, note FROM items ORDER BY id")
            #expect(rows.count == 10_000)
            #expect(try rows[41].decode("label", as: String.self) == "item \"42\", {x}\\")
            #expect(try rows[41].decode("note", as: String?.self) == nil)
            #expect(try rows[42].decode("note", as: String?.self) == "odd")
            let sum = try rows.reduce(Int64(0)) { $0 + (try $1.decode("id", as: Int64.self)) }
            #expect(sum == 50_005_000)
        }
    }
}

@Suite("Timestamps sent as text")
struct TimestampTextTests {
    /// Thousands of dates from year 1 to 9999, in one array, come back to the microsecond.
    @Test func timestampsFromYear1To9999RoundTripToTheMicrosecond() async throws {
        try await TestDatabase.withFresh { configuration in
            let db = try await Connection.connect(configuration)
            var generator = SystemRandomNumberGenerator()
            let first = -62_135_596_800.0, last = 253_402_300_799.0
            let dates = (0..<3_000).map { index -> Date in
                let seconds = index < 3 ? [first, 0, last][index] : Double.random(in: first...last, using: &generator)
                return Date(timeIntervalSince1970: (seconds * 1_000_000).rounded() / 1_000_000)
            }
            let rows = try await db.query("""
                SELECT at, (extract(epoch FROM at) * 1000000)::bigint AS micros
                FROM unnest(\(dates)::timestamptz[]) WITH ORDINALITY AS d (at, n) ORDER BY n
                """)
            #expect(rows.count == dates.count)
            for (row, date) in zip(rows, dates) {
                let micros = try row.decode("micros", as: Int64.self)
                #expect(micros == Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), "\(date)")
            }
        }
    }
}
