import Foundation
public import Postgres

/// Adds, lists and removes a tenant's alert destinations; their URLs and
/// signing secrets are sealed like the tenant's other secrets.
public enum NotifyDestinations {
    /// Validates everything first, then writes the destination and its sealed secret in one transaction.
    public static func add(
        tenantID: Int64, name: String, kind: NotifyDestination.Kind, url: String, signingSecret: String?,
        events: [NotifyDestination.Event]?, key: SecretKey, on connection: Connection
    ) async throws -> NotifyDestination {
        try validateName(name)
        let host = try validateURL(url, kind: kind)
        try validateSigningSecret(signingSecret, kind: kind)
        let events = events ?? NotifyDestination.Event.allCases
        guard !events.isEmpty else { throw InputError("give at least one event (--events): \(eventList)") }
        let secret = String(decoding: try JSONEncoder().encode(NotifyDestinationSecret(url: url, signingSecret: signingSecret)), as: UTF8.self)
        return try await connection.withTransaction { tx in
            if try await !tx.query("SELECT 1 FROM notify_destinations WHERE tenant_id = \(tenantID) AND name = \(name)").isEmpty {
                throw InputError("the tenant has a destination named \(name) already: choose another name, or remove it first with `tally notify remove`")
            }
            let id: Int64 = try await tx.query("""
                INSERT INTO notify_destinations (tenant_id, name, kind, host, events)
                VALUES (\(tenantID), \(name), \(kind.rawValue), \(host), \(events.map(\.rawValue))::text[])
                RETURNING destination_id
                """, name: "add notify destination")[0].decode("destination_id")
            try await TenantSecrets.store(secret, kindName: secretKind(id), tenantID: tenantID, key: key, on: tx)
            return try await list(tenantID: tenantID, on: tx).first { $0.destinationID == id }!
        }
    }

    public static func list(tenantID: Int64, on connection: Connection) async throws -> [NotifyDestination] {
        try await connection.query("""
            SELECT destination_id, name, kind, host, array_to_string(events, ',') AS events, last_delivered_at, failing_since, failures, last_error
            FROM notify_destinations WHERE tenant_id = \(tenantID) ORDER BY name
            """, name: "list notify destinations").map { row in
            NotifyDestination(
                destinationID: try row.decode("destination_id"), name: try row.decode("name"),
                kind: NotifyDestination.Kind(rawValue: try row.decode("kind"))!, host: try row.decode("host"),
                events: try row.decode("events", as: String.self).split(separator: ",").compactMap { NotifyDestination.Event(rawValue: String($0)) },
                lastDeliveredAt: try row.decode("last_delivered_at"), failingSince: try row.decode("failing_since"),
                failures: try row.decode("failures"), lastError: try row.decode("last_error"))
        }
    }

    /// Removes the destination and its sealed secret; false when there is none of that name.
    public static func remove(tenantID: Int64, name: String, on connection: Connection) async throws -> Bool {
        try await connection.withTransaction { tx in
            guard let row = try await tx.query("""
                DELETE FROM notify_destinations WHERE tenant_id = \(tenantID) AND name = \(name) RETURNING destination_id
                """, name: "remove notify destination").first else { return false }
            try await tx.execute("""
                DELETE FROM tenant_secrets WHERE tenant_id = \(tenantID) AND kind = \(secretKind(try row.decode("destination_id")))
                """, name: "remove notify destination secret")
            return true
        }
    }

    /// The destination with its opened URL and signing secret.
    static func load(
        tenantID: Int64, destinationID: Int64, key: SecretKey, on connection: Connection
    ) async throws -> (NotifyDestination, NotifyDestinationSecret)? {
        guard let destination = try await list(tenantID: tenantID, on: connection).first(where: { $0.destinationID == destinationID }),
              let sealed = try await TenantSecrets.load(kindName: secretKind(destinationID), tenantID: tenantID, key: key, on: connection)
        else { return nil }
        return (destination, try JSONDecoder().decode(NotifyDestinationSecret.self, from: Data(sealed.utf8)))
    }

    static func secretKind(_ destinationID: Int64) -> String { "notify_destination:\(destinationID)" }

    static var eventList: String { NotifyDestination.Event.allCases.map(\.rawValue).joined(separator: ", ") }

    /// `failures,held` → events; refuses unknown names, listing the known ones.
    public static func events(parsing text: String) throws(InputError) -> [NotifyDestination.Event] {
        var events: [NotifyDestination.Event] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let event = NotifyDestination.Event(rawValue: part) else {
                throw InputError("unknown event \(part) (--events): known are \(eventList)")
            }
            if !events.contains(event) { events.append(event) }
        }
        return events
    }

    static func validateName(_ name: String) throws(InputError) {
        guard name.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw InputError("a destination name is 1–63 lower-case letters, digits and dashes, starting with a letter or digit (e.g. billing-slack), not \(name.debugDescription)")
        }
    }

    /// The URL's host. https only; http is allowed for a loopback host (tally-sim's sink).
    static func validateURL(_ text: String, kind: NotifyDestination.Kind) throws(InputError) -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw InputError("the \(kind.rawValue) URL is not a URL: give the whole incoming-webhook URL, https://…")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw InputError("the \(kind.rawValue) URL must be https (http only for a loopback host): the URL carries its own credential")
        }
        return host
    }

    static func validateSigningSecret(_ secret: String?, kind: NotifyDestination.Kind) throws(InputError) {
        switch (kind, secret) {
        case (.webhook, nil):
            throw InputError("a webhook needs a signing secret (--signing-secret-env NAME or --signing-secret-file PATH), at least 16 characters, which its receiver checks")
        case (.webhook, let secret?) where secret.count < 16:
            throw InputError("the signing secret must be at least 16 characters, not \(secret.count)")
        case (.slack, _?), (.teams, _?):
            throw InputError("\(kind.rawValue) messages are not signed: leave out the signing secret")
        default:
            return
        }
    }
}
