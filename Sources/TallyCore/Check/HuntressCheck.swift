import Foundation
import Huntress
import Postgres

/// `tally check`, Huntress's part: whether the key reads the organizations,
/// which of them Tally does not have yet, and which Tally has that Huntress
/// no longer lists. Reads only (the list: one request per 500 organizations).
enum HuntressCheck {
    static func run(tenantID: Int64, slug: String, key: SecretKey, client: HuntressClient, on connection: Connection) async throws -> [TenantCheck.Item] {
        let subject = "huntress"
        let credentials: HuntressCredentials
        do {
            guard let stored = try await HuntressKey.load(tenantID: tenantID, key: key, on: connection) else {
                return [TenantCheck.Item(
                    status: .warning, subject: subject,
                    detail: "no Huntress key: usage comes only from imports; `tally tenant huntress \(slug) --key-stdin` takes it from Huntress")]
            }
            credentials = stored
        } catch let error as SecretError {
            return [TenantCheck.Item(status: .failed, subject: subject, detail: error.description)]
        }
        let listed: [HuntressOrganization]
        do {
            listed = try await client.session(credentials).organizations()
        } catch let error as HuntressError {
            return [TenantCheck.Item(
                status: .failed, subject: subject, detail: error.description.replacingOccurrences(of: "TENANT", with: slug))]
        }
        var items = [TenantCheck.Item(
            status: .ok, subject: subject, detail: "the key \(credentials.publicKey) reads \(listed.count) organizations")]
        let known = try await connection.query("""
            SELECT organization_id, name, removed_at FROM organizations WHERE tenant_id = \(tenantID) ORDER BY organization_id
            """, name: "check organizations").map {
            (id: try $0.decode("organization_id", as: Int64.self), name: try $0.decode("name", as: String.self),
             removedAt: try $0.decode("removed_at", as: Date?.self))
        }
        let knownIDs = Set(known.map(\.id))
        let new = listed.filter { !knownIDs.contains(Int64($0.id)) }
        if !new.isEmpty {
            items.append(TenantCheck.Item(
                status: .warning, subject: "huntress: new organizations",
                detail: "\(new.count == 1 ? "1 organization in Huntress is" : "\(new.count) organizations in Huntress are") not in Tally yet (\(new.prefix(3).map { $0.name ?? "\($0.id)" }.joined(separator: ", "))…): `tally usage refresh \(slug)`, then map them"))
        }
        let listedIDs = Set(listed.map { Int64($0.id) })
        for organization in known where !listedIDs.contains(organization.id) || organization.removedAt != nil {
            items.append(TenantCheck.Item(
                status: .warning, subject: "organization \(organization.id) “\(organization.name)”",
                detail: "no longer in Huntress: its units go to 0 once approved (`tally jobs approve`); if its customer did not leave, check it in Huntress"))
        }
        return items
    }
}
