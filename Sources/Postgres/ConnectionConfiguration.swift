import CLibPQ
public import Foundation

/// Where to connect: a libpq URI or `key=value` conninfo string, or nothing
/// (libpq's own `PG*` variables, `.pgpass` and defaults apply).
public struct ConnectionConfiguration: Sendable {
    /// A libpq URI (`postgresql://…`) or conninfo (`host=… dbname=…`); nil uses libpq defaults.
    public var conninfo: String?
    /// Keywords applied after `conninfo`, overriding it (e.g. `dbname` for a test database).
    public var overrides: [String: String]
    public var applicationName: String

    public init(conninfo: String? = nil, overrides: [String: String] = [:], applicationName: String = "tally") {
        self.conninfo = conninfo
        self.overrides = overrides
        self.applicationName = applicationName
    }

    /// `DATABASE_URL` when set and not empty; libpq's `PG*` defaults otherwise.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        applicationName: String = "tally"
    ) -> ConnectionConfiguration {
        let url = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        return ConnectionConfiguration(conninfo: url, applicationName: applicationName)
    }

    /// The same server with another database name.
    public func withDatabase(_ name: String) -> ConnectionConfiguration {
        var copy = self
        copy.overrides["dbname"] = name
        return copy
    }

    /// Tally's session defaults, each overridden by the same keyword in the
    /// conninfo (`DATABASE_URL`) or by libpq's variable for it
    /// (`PGCONNECT_TIMEOUT`, `PGOPTIONS`): a server that does not answer fails
    /// the connection in 10 s; keepalives find a dead peer in about a minute
    /// (a fail-over, a cut network) instead of the kernel's two hours; a
    /// statement stuck for 5 minutes (behind a lock nobody releases) is
    /// cancelled. `options=-c statement_timeout=0` in the URL turns the last off
    /// (an `options` of the URL replaces Tally's whole).
    public static let sessionDefaults: [(keyword: String, value: String, environment: String?)] = [
        ("connect_timeout", "10", "PGCONNECT_TIMEOUT"),
        ("keepalives", "1", nil),
        ("keepalives_idle", "30", nil),
        ("keepalives_interval", "10", nil),
        ("keepalives_count", "3", nil),
        ("options", "-c statement_timeout=300s", "PGOPTIONS"),
    ]

    /// Keyword/value pairs for `PQconnectdbParams` with `expand_dbname` on:
    /// the defaults, then the conninfo as `dbname` (expanded; its keywords
    /// override the defaults), then `overrides`, which override both.
    func keywordPairs(environment: [String: String] = ProcessInfo.processInfo.environment) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for setting in Self.sessionDefaults where setting.environment.map({ environment[$0]?.isEmpty ?? true }) ?? true {
            pairs.append((setting.keyword, setting.value))
        }
        if let conninfo { pairs.append(("dbname", conninfo)) }
        for key in overrides.keys.sorted() { pairs.append((key, overrides[key]!)) }
        pairs.append(("fallback_application_name", applicationName))
        return pairs
    }

    /// The password named in the conninfo, if any, so that messages can be scrubbed of it.
    var passwordInConninfo: String? {
        guard let conninfo else { return nil }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if String(cString: keyword) == "password", let value = cursor.pointee.val {
                return String(cString: value)
            }
            cursor += 1
        }
        return nil
    }

    /// Replaces any occurrence of the configured password in `text`.
    func scrub(_ text: String) -> String {
        guard let password = passwordInConninfo ?? overrides["password"], !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "********")
    }
}
