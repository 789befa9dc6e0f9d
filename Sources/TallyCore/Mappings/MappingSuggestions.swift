import Autotask
import Foundation
public import Postgres

/// Proposes organization → company matches by normalised name.
public enum MappingSuggestions {
    public struct Suggestion: Sendable, Codable, Equatable {
        public var organizationID: Int64
        public var organizationName: String
        public var companyID: Int
        public var companyName: String
    }

    /// For each organization without a company, the active Autotask company of
    /// the same normalised name, when exactly one has it.
    public static func suggest(tenantID: Int64, autotask: TenantAutotask, on connection: Connection) async throws -> [Suggestion] {
        let organizations = try await connection.query("""
            SELECT organization_id, name FROM organizations WHERE tenant_id = \(tenantID) AND company_id IS NULL ORDER BY organization_id
            """, name: "unmapped organizations").map { (try $0.decode("organization_id", as: Int64.self), try $0.decode("name", as: String.self)) }
        guard !organizations.isEmpty else { return [] }
        let companies = try await autotask.activeCompanies()
        let byName = Dictionary(grouping: companies) { normalise($0.companyName ?? "") }
        return organizations.compactMap { id, name in
            guard let matches = byName[normalise(name)], matches.count == 1, let company = matches.first else { return nil }
            return Suggestion(organizationID: id, organizationName: name, companyID: company.id, companyName: company.companyName ?? "")
        }
    }

    /// Lower case, letters and digits only, without legal suffixes ("Acme, Inc." = "ACME").
    public static func normalise(_ name: String) -> String {
        let suffixes: Set<String> = ["inc", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh", "ag", "plc", "sa", "bv", "pty"]
        let words = name.lowercased()
            .split { !$0.isLetter && !$0.isNumber }
            .map(String.init)
        var kept = words
        while let last = kept.last, kept.count > 1, suffixes.contains(last) { kept.removeLast() }
        return kept.joined(separator: " ")
    }
}
