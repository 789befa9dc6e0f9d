import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Errors and transactions")
struct ErrorAndTransactionTests {
    @Test func uniqueViolationCarriesSQLStateAndStatementNameButNoParameters() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE t (k text PRIMARY KEY)")
            try await connection.execute("INSERT INTO t VALUES (\("secret-value"))")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO t VALUES (\("secret-value"))", name: "insert key")
            }
            #expect(error.sqlState == "23505")
            #expect(error.isUniqueViolation)
            #expect(error.statement == "insert key")
            #expect(error.message.contains("duplicate key"))
            // The server's DETAIL ("Key (k)=(secret-value) already exists") is not kept.
            #expect(!"\(error)".contains("secret-value") && !"\(String(reflecting: error))".contains("secret-value"))
            #expect(error.constraint == "t_pkey")
            // Unnamed, a statement is known by its text, whose parameters are placeholders.
            let unnamed = try await #require(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO t VALUES (\("secret-value"))")
            }
            #expect(unnamed.statement == "INSERT INTO t VALUES ($1)")
            // The connection is usable after an error.
            #expect(try await connection.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        }
    }

    /// A data exception quotes the value it could not take: the value is not kept (issue 18).
    @Test func aDataExceptionKeepsItsMessageButNotTheValue() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            for (text, type) in [("card 4111-1111", "int"), ("99999999999999", "int"), ("not-a-uuid", "uuid")] {
                let error = try await #require(throws: PostgresError.self) {
                    try await connection.query("SELECT \(text)::\(unescaped: type) AS v", name: "read value")
                }
                #expect(error.sqlState?.hasPrefix("22") == true, "\(error)")
                #expect(!String(reflecting: error).contains(text), "\(String(reflecting: error))")
                #expect(error.description.contains("(value not shown)") && error.description.contains("type"), "\(error)")
            }
        }
    }

    /// A NUL byte would cut a C-string parameter short: refused, not stored cut (issue 18).
    @Test func aParameterWithANulByteIsRefusedNotCut() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE names (name text)")
            let error = try await #require(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO names VALUES (\("Acme\u{0}; DROP"))", name: "insert name")
            }
            #expect(error.kind == .misuse && error.description.contains("parameter 1 holds a NUL byte"), "\(error)")
            #expect(try await connection.query("SELECT count(*)::int AS n FROM names")[0].decode("n", as: Int.self) == 0)
            try await connection.execute("INSERT INTO names VALUES (\("Acme"))")
        }
    }

    @Test func syntaxErrorHasItsSQLState() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("SELEC 1")
            }
            #expect(error.sqlState == "42601")
            #expect(error.kind == .server)
            #expect(error.statement == "SELEC 1")
        }
    }

    @Test func transactionRollsBackOnThrowAndCommitsOnReturn() async throws {
        struct Boom: Error {}
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            try await connection.execute("CREATE TABLE t (n int)")
            await #expect(throws: Boom.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
            try await connection.withTransaction { tx in
                try await tx.execute("INSERT INTO t VALUES (2)")
                await #expect(throws: PostgresError.self) {
                    try await tx.withSavepoint { sp in
                        try await sp.execute("INSERT INTO t VALUES (3)")
                        try await sp.execute("INSERT INTO t VALUES (1/0)")
                    }
                }
                try await tx.execute("INSERT INTO t VALUES (4)")
            }
            let rows = try await connection.query("SELECT n FROM t ORDER BY n")
            #expect(try rows.map { try $0.decode("n", as: Int.self) } == [2, 4])
        }
    }

    @Test func cancellingTheTaskCancelsTheStatement() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            let started = ContinuousClock.now
            let sleeper = Task { try await connection.execute("SELECT pg_sleep(30)", name: "long sleep") }
            let observer = try await Connection.connect(configuration)
            let pid = connection.backendPID
            #expect(try await TestDatabase.waitUntil {
                let rows = try await observer.query(
                    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = \(Int(pid)) AND state = 'active'")
                return try rows[0].decode("n", as: Int.self) == 1
            })
            sleeper.cancel()
            let error = try await #require(throws: PostgresError.self) { try await sleeper.value }
            #expect(error.isQueryCanceled)
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(try await connection.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        }
    }

    @Test func failedConnectNamesTheServerButNotThePassword() async throws {
        let configuration = ConnectionConfiguration(
            conninfo: "postgresql://someone:hunter2secret@127.0.0.1:1/nowhere?connect_timeout=2")
        let error = try await #require(throws: PostgresError.self) { try await Connection.connect(configuration) }
        #expect(error.kind == .connectionFailed)
        #expect(error.description.contains("127.0.0.1:1/nowhere"))
        #expect(!error.description.contains("hunter2secret"))
    }
}

@Suite("Prepared statements")
struct PreparedStatementTests {
    @Test func aPreparedStatementIsPlannedOnceAndReusedWithNewParameters() async throws {
        try await TestDatabase.withFresh { configuration in
            let connection = try await Connection.connect(configuration)
            for value in [1, 2, 3] {
                let rows = try await connection.query("SELECT \(value)::int * 10 AS n", prepared: true)
                #expect(try rows[0].decode("n", as: Int.self) == value * 10)
            }
            let prepared = try await connection.query("SELECT count(*)::int AS n FROM pg_prepared_statements")
            #expect(try prepared[0].decode("n", as: Int.self) == 1)
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT 1 / \(0)::int AS n", name: "divide", prepared: true)
            }
            #expect(error.sqlState == "22012")
            #expect(try await connection.query("SELECT 1 / \(1)::int AS n", prepared: true)[0].decode("n", as: Int.self) == 1)
        }
    }
}
