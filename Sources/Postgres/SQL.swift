/// A statement with its parameters bound by interpolation:
///
///     try await connection.query("SELECT units FROM usage WHERE tenant_id = \(tenant)")
///
/// Each interpolated value becomes a `$n` placeholder and is sent
/// separately (`PQexecParams`), never spliced into the text.
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    public private(set) var text: String
    /// Parameter values in PostgreSQL's text format; nil is NULL.
    public private(set) var parameters: [String?]

    public init(stringLiteral value: String) {
        text = value
        parameters = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        parameters = stringInterpolation.parameters
    }

    /// A statement written with explicit `$n` placeholders.
    public init(_ text: String, parameters: [any PostgresEncodable]) {
        self.text = text
        self.parameters = parameters.map(\.postgresText)
    }

    /// The statement with each `$n` replaced by its value as a quoted
    /// literal, for tools that take plain SQL text (pgbench). Not for
    /// running untrusted values: prefer parameters.
    public func inlined() -> String {
        var result = ""
        var characters = text[...]
        while let dollar = characters.firstIndex(of: "$") {
            result += characters[..<dollar]
            let digits = characters[characters.index(after: dollar)...].prefix(while: \.isNumber)
            if let number = Int(digits), parameters.indices.contains(number - 1) {
                result += parameters[number - 1].map(quoteLiteral) ?? "NULL"
            } else {
                result += "$" + digits
            }
            characters = characters[characters.index(dollar, offsetBy: 1 + digits.count)...]
        }
        return result + characters
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var parameters: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parameters.append(value.postgresText)
            text += "$\(parameters.count)"
        }

        /// An optional value: nil binds SQL NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            parameters.append(value?.postgresText)
            text += "$\(parameters.count)"
        }

        /// An identifier (table, channel, savepoint), quoted.
        public mutating func appendInterpolation(identifier: String) {
            text += quoteIdentifier(identifier)
        }

        /// SQL text spliced in as is. Never pass user input here.
        public mutating func appendInterpolation(unescaped fragment: String) { text += fragment }

        /// Another statement's text and parameters, its `$n` renumbered after ours.
        public mutating func appendInterpolation(fragment: SQL) {
            let offset = parameters.count
            var characters = fragment.text.makeIterator()
            while let character = characters.next() {
                guard character == "$" else {
                    text.append(character)
                    continue
                }
                var digits = ""
                var following: Character?
                while let next = characters.next() {
                    if next.isASCII && next.isNumber { digits.append(next) } else { following = next; break }
                }
                text += digits.isEmpty ? "$" : "$\(Int(digits)! + offset)"
                if let following { text.append(following) }
            }
            parameters += fragment.parameters
        }
    }
}

/// Quotes an SQL identifier: `a"b` becomes `"a""b"`.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes an SQL string literal, for the few statements that take no parameters (`NOTIFY`, `LISTEN`).
public func quoteLiteral(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}
