/// An error from the database layer.
///
/// `description` is safe to show to a person and to log: it never contains
/// statement parameters, connection secrets or row values. The server's
/// DETAIL ("Failing row contains …", "Key (k)=(…) already exists") is not
/// kept, and a data exception's quoted value is withheld. SQLSTATE
/// is kept as a field rather than an enum; the helpers below name the few
/// states callers branch on.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not open a connection.
        case connectionFailed
        /// The connection broke while in use; the statement's outcome is unknown.
        case connectionLost
        /// The server answered with an error (see `sqlState`).
        case server
        /// A value could not be read as the requested Swift type.
        case decoding
        /// The caller used the API wrongly (e.g. an unknown column name).
        case misuse
    }

    public var kind: Kind
    public var message: String
    public var sqlState: String?
    public var hint: String?
    /// The name of the statement that failed (never its parameters).
    public var statement: String?
    /// The constraint that refused a row, for integrity errors.
    public var constraint: String?

    public init(
        _ kind: Kind, _ message: String, sqlState: String? = nil,
        hint: String? = nil, statement: String? = nil, constraint: String? = nil
    ) {
        self.kind = kind
        self.message = sqlState?.hasPrefix("22") == true ? Self.withholdingValue(message) : message
        self.sqlState = sqlState
        self.hint = hint
        self.statement = statement
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let statement { text += " in statement \"\(statement)\"" }
        if let hint, !hint.isEmpty { text += " — \(hint)" }
        return text
    }

    /// A data exception (SQLSTATE class 22) quotes the value it refused, e.g.
    /// `invalid input syntax for type integer: "…"`: everything between the
    /// first and the last double quote is withheld.
    static func withholdingValue(_ message: String) -> String {
        guard let first = message.firstIndex(of: "\""), let last = message.lastIndex(of: "\""), first < last else {
            return message
        }
        return message[..<first] + "(value not shown)" + message[message.index(after: last)...]
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isQueryCanceled: Bool { sqlState == "57014" }
    /// True when retrying on a fresh connection may succeed: the connection
    /// broke, or the server is shutting down or not accepting connections.
    public var isConnectionProblem: Bool {
        switch kind {
        case .connectionFailed, .connectionLost: return true
        case .server: return sqlState?.hasPrefix("08") == true || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
        case .decoding, .misuse: return false
        }
    }
}
