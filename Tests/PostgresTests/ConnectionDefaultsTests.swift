import Foundation
@testable import Postgres
import TestSupport
import Testing

/// Tally's sessions time out a silent server, probe an idle peer and cancel a
/// stuck statement by default; DATABASE_URL's own settings win (issue 18).
@Suite("Connection defaults")
struct ConnectionDefaultsTests {
    @Test func aSessionHasAConnectTimeoutKeepalivesAndAStatementTimeout() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            #expect(connection.connectionOption("connect_timeout") == "10")
            #expect(connection.connectionOption("keepalives") == "1")
            #expect(connection.connectionOption("keepalives_idle") == "30")
            #expect(try await connection.query("SHOW statement_timeout")[0].decode("statement_timeout", as: String.self) == "5min")
            let stuck = try await #require(throws: PostgresError.self) {
                var short = configuration
                short.overrides["options"] = "-c statement_timeout=200ms"
                try await Connection.connect(short).query("SELECT pg_sleep(5)", name: "stuck")
            }
            #expect(stuck.isQueryCanceled, "\(stuck)")
        }
    }

    @Test func theURLsOwnSettingsWinOverTheDefaults() throws {
        let url = "postgresql://tally@127.0.0.1:5432/tally?connect_timeout=3&options=-c%20statement_timeout%3D0"
        let pairs = ConnectionConfiguration(conninfo: url).keywordPairs(environment: [:])
        // The defaults come before the URL, which libpq expands over them.
        let urlIndex = try #require(pairs.firstIndex { $0.0 == "dbname" })
        #expect(pairs[..<urlIndex].contains { $0 == ("connect_timeout", "10") })
        #expect(pairs[..<urlIndex].contains { $0 == ("options", "-c statement_timeout=300s") })
        // libpq's variables win over the defaults too.
        let fromEnvironment = ConnectionConfiguration().keywordPairs(environment: ["PGOPTIONS": "-c statement_timeout=0", "PGCONNECT_TIMEOUT": "2"])
        #expect(!fromEnvironment.contains { $0.0 == "options" || $0.0 == "connect_timeout" })
    }

    @Test func aURLsConnectTimeoutAndOptionsReplaceTheDefaults() async throws {
        try await TestDatabase.withFresh { configuration in
            var custom = configuration
            custom.overrides["connect_timeout"] = "4"
            custom.overrides["options"] = "-c statement_timeout=0"
            let connection = try await Connection.connect(custom)
            #expect(connection.connectionOption("connect_timeout") == "4")
            #expect(try await connection.query("SHOW statement_timeout")[0].decode("statement_timeout", as: String.self) == "0")
        }
    }
}
