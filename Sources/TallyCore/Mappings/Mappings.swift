import Autotask
import Foundation
public import Postgres

/// Product → Autotask service, organization → company → contract. Each
/// mapping is checked against Autotask before it is written, unless the
/// caller has no session (`--offline`, for bulk loading).
public enum Mappings {
    public static func mapProduct(
        tenantID: Int64, product: String, serviceID: Int, autotask: TenantAutotask?, on connection: Connection
    ) async throws {
        try await requireProduct(product, on: connection)
        guard serviceID > 0 else { throw InputError("a service id is a positive number, not \(serviceID)") }
        if let autotask {
            guard let service = try await autotask.session.service(id: serviceID) else {
                throw InputError("Autotask has no service \(serviceID): `tally autotask services TENANT` lists the services")
            }
            if service.isActive == false {
                throw InputError("service \(serviceID) (\(service.name ?? "unnamed")) is inactive in Autotask: activate it or choose another")
            }
        }
        try await connection.execute("""
            INSERT INTO service_mappings (tenant_id, product, service_id) VALUES (\(tenantID), \(product), \(Int64(serviceID)))
            ON CONFLICT (tenant_id, product) DO UPDATE SET service_id = EXCLUDED.service_id, updated_at = now()
            """, name: "map product")
    }

    /// Answers whether a contract mapping of another company was cleared.
    @discardableResult
    public static func mapCompany(
        tenantID: Int64, organizationID: Int64, companyID: Int, autotask: TenantAutotask?, on connection: Connection
    ) async throws -> Bool {
        let organization = try await findOrganization(tenantID: tenantID, organizationID: organizationID, on: connection)
        guard companyID > 0 else { throw InputError("a company id is a positive number, not \(companyID)") }
        if let autotask {
            guard let company = try await autotask.session.company(id: companyID) else {
                throw InputError("Autotask has no company \(companyID): `tally autotask companies TENANT` lists them")
            }
            if company.isActive == false {
                throw InputError("company \(companyID) (\(company.companyName ?? "unnamed")) is inactive in Autotask: choose an active company")
            }
        }
        let clears = organization.companyID != nil && organization.companyID != Int64(companyID) && organization.contractID != nil
        try await connection.execute("""
            UPDATE organizations SET company_id = \(Int64(companyID)),
                contract_id = CASE WHEN \(clears) THEN NULL ELSE contract_id END, updated_at = now()
            WHERE tenant_id = \(tenantID) AND organization_id = \(organizationID)
            """, name: "map company")
        return clears
    }

    /// Answers the tenant's other organizations on that contract: its units are then the sum of their usage.
    @discardableResult
    public static func mapContract(
        tenantID: Int64, organizationID: Int64, contractID: Int, autotask: TenantAutotask?,
        on connection: Connection
    ) async throws -> [MappedOrganization] {
        let organization = try await findOrganization(tenantID: tenantID, organizationID: organizationID, on: connection)
        guard let companyID = organization.companyID else {
            throw InputError("organization \(organizationID) has no company yet: map it first with `tally map company TENANT \(organizationID) COMPANY_ID`")
        }
        guard contractID > 0 else { throw InputError("a contract id is a positive number, not \(contractID)") }
        if let autotask {
            guard let contract = try await autotask.session.contract(id: contractID) else {
                throw InputError("Autotask has no contract \(contractID): `tally autotask contracts TENANT --company \(companyID)` lists the company's contracts")
            }
            if let problem = ContractCheck.problem(contract, companyID: Int(companyID), today: autotask.today, who: nil) {
                throw InputError(problem.message)
            }
        }
        try await connection.execute("""
            UPDATE organizations SET contract_id = \(Int64(contractID)), updated_at = now()
            WHERE tenant_id = \(tenantID) AND organization_id = \(organizationID)
            """, name: "map contract")
        return try await connection.query("""
            SELECT organization_id, name, company_id, contract_id FROM organizations
            WHERE tenant_id = \(tenantID) AND contract_id = \(Int64(contractID)) AND organization_id <> \(organizationID)
            ORDER BY organization_id
            """, name: "organizations sharing a contract").map(MappedOrganization.init(row:))
    }

    /// An organization and its mappings, as `tally map list` shows it.
    public struct MappedOrganization: Codable, Sendable {
        public var organizationID: Int64
        public var name: String
        public var companyID: Int64?
        public var contractID: Int64?

        init(row: Row) throws {
            organizationID = try row.decode("organization_id")
            name = try row.decode("name")
            companyID = try row.decode("company_id")
            contractID = try row.decode("contract_id")
        }
    }

    /// The tenant's organizations; `unmappedOnly`: those without a contract.
    public static func organizations(tenantID: Int64, unmappedOnly: Bool, on connection: Connection) async throws -> [MappedOrganization] {
        try await connection.query("""
            SELECT organization_id, name, company_id, contract_id FROM organizations
            WHERE tenant_id = \(tenantID) AND (NOT \(unmappedOnly) OR contract_id IS NULL)
            ORDER BY organization_id
            """, name: "list organizations").map(MappedOrganization.init(row:))
    }

    struct Organization {
        var companyID: Int64?
        var contractID: Int64?
    }

    /// Throws an `InputError` naming the fix when the tenant has no such organization.
    public static func requireOrganization(tenantID: Int64, organizationID: Int64, on connection: Connection) async throws {
        _ = try await findOrganization(tenantID: tenantID, organizationID: organizationID, on: connection)
    }

    static func findOrganization(tenantID: Int64, organizationID: Int64, on connection: Connection) async throws -> Organization {
        let rows = try await connection.query("""
            SELECT company_id, contract_id FROM organizations WHERE tenant_id = \(tenantID) AND organization_id = \(organizationID)
            """, name: "find organization")
        guard let row = rows.first else {
            throw InputError("this tenant has no organization \(organizationID): `tally map list TENANT` lists its organizations (they come from usage)")
        }
        return Organization(companyID: try row.decode("company_id"), contractID: try row.decode("contract_id"))
    }

    static func requireProduct(_ product: String, on connection: Connection) async throws {
        let known = try await connection.query("SELECT product FROM products ORDER BY product").map { try $0.decode("product", as: String.self) }
        guard known.contains(product) else {
            throw InputError("there is no product \(product): the products are \(known.joined(separator: ", "))")
        }
    }
}

