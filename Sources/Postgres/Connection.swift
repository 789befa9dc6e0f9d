import CLibPQ
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// One PostgreSQL session.
///
/// libpq is blocking and a `PGconn` may be used by one thread at a time, so
/// each connection owns one thread and runs every libpq call on it, one after
/// another; Swift tasks await those calls without blocking the cooperative
/// pool. Cancelling the awaiting task cancels the running statement.
public final class Connection: @unchecked Sendable {
    // Touched only on `thread`.
    private let pgconn: OpaquePointer
    private let thread: NIOThreadPool
    private let interrupter: Interrupter
    private let notices = NoticeCollector()
    /// Names of the statements prepared on this session; touched only on `thread`.
    private var preparedStatements = Set<String>()
    /// "host:port/database" of the server, safe to show (no user, no password).
    public let target: String
    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int32

    private init(pgconn: OpaquePointer, thread: NIOThreadPool, interrupter: Interrupter) {
        self.pgconn = pgconn
        self.thread = thread
        self.interrupter = interrupter
        self.target = Self.describeTarget(pgconn)
        self.backendPID = PQbackendPID(pgconn)
        notices.install(on: pgconn)
    }

    deinit {
        PQfinish(pgconn)
        thread.shutdownGracefully { _ in }
    }

    /// Opens a connection. The error says where it tried to connect and
    /// libpq's reason, never the password.
    public static func connect(_ configuration: ConnectionConfiguration = .fromEnvironment()) async throws -> Connection {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let interrupter = try Interrupter()
            let handle = try await thread.runIfActive { try Self.open(configuration) }
            let connection = Connection(pgconn: handle.value, thread: thread, interrupter: interrupter)
            try await connection.executeScript(
                // search_path: names resolve in public, then pg_temp (never a temporary table first).
                "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'; SET search_path = public, pg_temp",
                name: "session settings")
            return connection
        } catch {
            thread.shutdownGracefully { _ in }
            throw error
        }
    }

    private static func open(_ configuration: ConnectionConfiguration) throws -> UncheckedBox<OpaquePointer> {
        let pairs = configuration.keywordPairs()
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordBuffer in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connectionFailed, "could not connect to PostgreSQL: libpq is out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = configuration.scrub(Self.errorMessage(connection))
            let target = describeTarget(connection)
            PQfinish(connection)
            throw PostgresError(
                .connectionFailed, "could not connect to PostgreSQL at \(target): \(reason)",
                hint: "check DATABASE_URL (or the PG* variables) and that the server is running")
        }
        return UncheckedBox(connection)
    }

    /// The value libpq uses for a connection keyword (e.g. `connect_timeout`).
    func connectionOption(_ keyword: String) -> String? {
        guard let options = PQconninfo(pgconn) else { return nil }
        defer { PQconninfoFree(options) }
        var cursor = options
        while let name = cursor.pointee.keyword {
            if String(cString: name) == keyword { return cursor.pointee.val.map { String(cString: $0) } }
            cursor += 1
        }
        return nil
    }

    private static func describeTarget(_ connection: OpaquePointer) -> String {
        let host = PQhost(connection).map { String(cString: $0) } ?? "localhost"
        let port = PQport(connection).map { String(cString: $0) } ?? ""
        let database = PQdb(connection).map { String(cString: $0) } ?? ""
        return "\(host)\(port.isEmpty ? "" : ":\(port)")/\(database)"
    }

    static func errorMessage(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Statements

    /// Runs one statement with its interpolated parameters and returns its rows.
    /// `name` identifies the statement in errors; it defaults to the start of its text.
    /// `prepared`: plan it once per connection and reuse the plan (for hot,
    /// complex statements whose planning costs more than running them).
    @discardableResult
    public func query(_ sql: SQL, name: String? = nil, prepared: Bool = false) async throws -> Rows {
        let statement = name ?? Self.shortName(sql.text)
        // libpq takes parameters as C strings: a NUL byte would silently cut the value there.
        if let index = sql.parameters.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(
                .misuse, "parameter \(index + 1) holds a NUL byte, which PostgreSQL text cannot store: remove it from the input",
                statement: statement)
        }
        return try await onThreadCancellably { connection, operation in
            guard prepared else {
                return try connection.blockingRun(statement: statement, operation: operation) { pgconn in
                    Self.withCStrings(sql.parameters) { values in
                        PQsendQueryParams(pgconn, sql.text, Int32(values.count), nil, values, nil, nil, 0)
                    }
                }
            }
            let preparedName = try connection.blockingPrepare(sql.text, statement: statement, operation: operation)
            return try connection.blockingRun(statement: statement, operation: operation) { pgconn in
                Self.withCStrings(sql.parameters) { values in
                    PQsendQueryPrepared(pgconn, preparedName, Int32(values.count), values, nil, nil, 0)
                }
            }
        }
    }

    /// Prepares `text` on this session unless done before; answers its name.
    private func blockingPrepare(_ text: String, statement: String, operation: UInt64) throws -> String {
        let name = "tally_" + String(Self.fingerprint(text), radix: 36)
        guard !preparedStatements.contains(name) else { return name }
        _ = try blockingRun(statement: statement, operation: operation) { pgconn in
            PQsendPrepare(pgconn, name, text, 0, nil)
        }
        preparedStatements.insert(name)
        return name
    }

    /// FNV-1a: a stable name for a statement's text.
    private static func fingerprint(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }

    /// Runs a statement and answers how many rows it changed.
    @discardableResult
    public func execute(_ sql: SQL, name: String? = nil, prepared: Bool = false) async throws -> Int {
        try await query(sql, name: name, prepared: prepared).affectedRows
    }

    /// Runs a script of several statements without parameters (simple query
    /// protocol), as `psql` would; the rows of the last statement are returned.
    @discardableResult
    public func executeScript(_ script: String, name: String) async throws -> Rows {
        try await onThreadCancellably { connection, operation in
            try connection.blockingRun(statement: name, operation: operation) { pgconn in
                PQsendQuery(pgconn, script)
            }
        }
    }

    /// Runs `body` on this connection's thread; cancelling the calling task
    /// interrupts the blocking wait inside it.
    func onThreadCancellably<T: Sendable>(
        _ body: @escaping @Sendable (Connection, UInt64) throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let operation = interrupter.beginOperation()
        return try await withTaskCancellationHandler {
            try await onThread { try body(self, operation) }
        } onCancel: {
            interrupter.interrupt(operation)
        }
    }

    func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await thread.runIfActive(body)
        } catch let error as PostgresError {
            throw error
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError(.connectionLost, "the connection to \(target) is closed")
        }
    }

    /// Sends a statement, then waits for its results while watching for a
    /// cancel request; drains every result so the connection is ready for the next.
    private func blockingRun(
        statement: String, operation: UInt64, send: (OpaquePointer) -> Int32
    ) throws -> Rows {
        guard send(pgconn) == 1 else { throw connectionError(statement: statement) }
        var firstError: PostgresError?
        var last: ResultHandle?
        var cancelSent = false
        while true {
            while PQisBusy(pgconn) == 1 {
                if !cancelSent, interrupter.isInterrupted(operation) {
                    sendCancel()
                    cancelSent = true
                }
                _ = waitReadable(socket: PQsocket(pgconn), interrupter: interrupter, timeoutMilliseconds: 1000)
                guard PQconsumeInput(pgconn) == 1 else { throw connectionError(statement: statement) }
            }
            guard let result = PQgetResult(pgconn) else { break }
            let handle = ResultHandle(result)
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                last = handle
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                firstError = firstError ?? PostgresError(.misuse, "COPY is not supported through query()", statement: statement)
            default:
                firstError = firstError ?? Self.serverError(result, statement: statement)
            }
        }
        if PQstatus(pgconn) != CONNECTION_OK { throw connectionError(statement: statement) }
        if let firstError { throw firstError }
        guard let last else { throw PostgresError(.misuse, "the statement returned no result", statement: statement) }
        return Rows(handle: last, statement: statement)
    }

    private func sendCancel() {
        guard let canceller = PQgetCancel(pgconn) else { return }
        defer { PQfreeCancel(canceller) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(canceller, &buffer, Int32(buffer.count))
    }

    private func connectionError(statement: String) -> PostgresError {
        let lost = PQstatus(pgconn) != CONNECTION_OK
        return PostgresError(
            lost ? .connectionLost : .server,
            "lost the connection to \(target): \(Self.errorMessage(pgconn))", statement: statement)
    }

    static func serverError(_ result: OpaquePointer, statement: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        return PostgresError(
            .server, field("M") ?? "the server reported an error",
            sqlState: field("C"), hint: field("H"), statement: statement,
            constraint: field("n"))
    }

    static func shortName(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count <= 60 ? words : String(words.prefix(57)) + "..."
    }

    private static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let owned = strings.map { $0.map { strdup($0)! } }
        defer { owned.forEach { free($0) } }
        return body(owned.map { $0.map { UnsafePointer($0) } })
    }

    // MARK: Health

    /// Whether the connection can take a statement now, checked without a
    /// round trip: a server that closed the session has left an error and
    /// an end-of-file on the socket, which `PQconsumeInput` notices. Only
    /// non-blocking libpq calls, so it runs on the caller's thread; call it
    /// only while no statement of this connection is running (the pool
    /// does, between loans).
    public func checkHealth() -> Bool {
        guard PQstatus(pgconn) == CONNECTION_OK, PQtransactionStatus(pgconn) == PQTRANS_IDLE else { return false }
        // A terminated session leaves an error message, then end-of-file:
        // the first read takes the message, a later one meets the end.
        for _ in 0..<4 {
            var descriptor = pollfd(fd: PQsocket(pgconn), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            guard PQconsumeInput(pgconn) == 1 else { return false }
        }
        // PQconsumeInput only reads; PQisBusy parses what was read, which
        // hands a FATAL message to the notice collector.
        _ = PQisBusy(pgconn)
        return PQstatus(pgconn) == CONNECTION_OK && !notices.sawFatal
    }

    // MARK: Notifications

    /// A `NOTIFY` received on a channel this connection listens to.
    public struct Notification: Sendable, Equatable {
        public let channel: String
        public let payload: String
        public let senderPID: Int32

        public init(channel: String, payload: String, senderPID: Int32) {
            self.channel = channel
            self.payload = payload
            self.senderPID = senderPID
        }
    }

    public func listen(_ channel: String) async throws {
        try await execute("LISTEN \(identifier: channel)", name: "listen")
    }

    public func unlisten(_ channel: String) async throws {
        try await execute("UNLISTEN \(identifier: channel)", name: "unlisten")
    }

    public func notify(_ channel: String, payload: String = "") async throws {
        try await execute("SELECT pg_notify(\(channel), \(payload))", name: "notify")
    }

    /// Waits up to `timeout` for notifications and returns those received
    /// (empty after a time-out). Throws `CancellationError` if the task is cancelled.
    public func notifications(timeout: Duration) async throws -> [Notification] {
        let milliseconds = Int32(clamping: Int64(timeout.seconds * 1000))
        let received = try await onThreadCancellably { connection, operation in
            try connection.blockingWaitForNotifications(timeoutMilliseconds: milliseconds, operation: operation)
        }
        if received.isEmpty { try Task.checkCancellation() }
        return received
    }

    private func blockingWaitForNotifications(timeoutMilliseconds: Int32, operation: UInt64) throws -> [Notification] {
        guard PQconsumeInput(pgconn) == 1 else { throw connectionError(statement: "wait for notifications") }
        var received = drainNotifications()
        if received.isEmpty, !interrupter.isInterrupted(operation),
           waitReadable(socket: PQsocket(pgconn), interrupter: interrupter, timeoutMilliseconds: timeoutMilliseconds) {
            guard PQconsumeInput(pgconn) == 1 else { throw connectionError(statement: "wait for notifications") }
            received = drainNotifications()
        }
        return received
    }

    private func drainNotifications() -> [Notification] {
        var received: [Notification] = []
        while let pointer = PQnotifies(pgconn) {
            let notify = pointer.pointee
            received.append(Notification(
                channel: String(cString: notify.relname), payload: String(cString: notify.extra), senderPID: notify.be_pid))
            PQfreemem(pointer)
        }
        return received
    }
}

/// Carries a value that is not `Sendable` across a thread hop whose
/// ownership the caller guarantees (a `PGconn` handed from its opening thread).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
