public import Autotask
import Foundation
public import Huntress
import Foundation
public import Postgres

/// `tally check`: credentials, zone, permissions, each product's service and
/// each organization's contract, against Autotask. Reads only.
public enum TenantCheck {
    public struct Item: Sendable, Codable, Equatable {
        public enum Status: String, Sendable, Codable { case ok, warning, failed }
        public var status: Status
        public var subject: String
        /// What was found, and for a failure what to fix in Autotask or in Tally.
        public var detail: String
    }

    /// `huntress`: also check the tenant's Huntress key and organizations (first, as they do not depend on Autotask).
    public static func run(
        tenantID: Int64, key: SecretKey, client: AutotaskClient, huntress: HuntressClient? = nil, on connection: Connection
    ) async throws -> [Item] {
        var items: [Item] = []
        if let huntress {
            let slug = try await connection.query("SELECT slug FROM tenants WHERE tenant_id = \(tenantID)")[0].decode("slug", as: String.self)
            items += try await HuntressCheck.run(tenantID: tenantID, slug: slug, key: key, client: huntress, on: connection)
        }
        let tenant: SyncTenant
        do {
            tenant = try await SyncTenant.load(tenantID: tenantID, key: key, on: connection)
            items.append(Item(status: .ok, subject: "secret", detail: "the Autotask secret opens with TALLY_SECRET_KEY"))
        } catch let error as SecretError {
            return items + [Item(status: .failed, subject: "secret", detail: error.description)]
        } catch let error as SyncSetupError {
            return items + [Item(status: .failed, subject: "secret", detail: error.message)]
        }
        let session = client.session(tenant.credentials)
        do {
            let zone = try await session.zoneBaseURL()
            items.append(Item(status: .ok, subject: "zone", detail: "API user \(tenant.credentials.userName) is in zone \(zone.absoluteString)"))
        } catch let error as AutotaskError {
            items.append(Item(status: .failed, subject: "zone", detail: error.description))
            return items
        }
        // One page of one record each: the check costs O(mappings ÷ 500) requests, whatever the database holds.
        let probe = AutotaskQuery(filter: [.field("id", .gte, .int(0))], maxRecords: 1)
        // What syncing and mapping need (AutotaskPermissions): Companies and Contracts, failed without;
        // Services only confirms mapped services, a warning without.
        var readsServices = true
        for entity in AutotaskPermissions.required + [AutotaskPermissions.optional] {
            do {
                switch entity {
                case "Companies": _ = try await session.firstPage(entity, probe, as: Company.self)
                case "Contracts": _ = try await session.firstPage(entity, probe, as: Contract.self)
                default: _ = try await session.firstPage(entity, probe, as: Service.self)
                }
                items.append(Item(status: .ok, subject: "permission: \(entity)", detail: "the API user can read \(entity)"))
            } catch let error as AutotaskError {
                if error.reason == .badCredentials {
                    return items + [Item(status: .failed, subject: "permission: \(entity)", detail: error.description)]
                }
                guard entity == AutotaskPermissions.optional, error.reason == .missingPermission else {
                    items.append(Item(status: .failed, subject: "permission: \(entity)", detail: error.description))
                    continue
                }
                readsServices = false
                items.append(Item(status: .warning, subject: "permission: \(entity)",
                                  detail: "the API user cannot read Services: syncing does not need it, but the mapped services cannot be confirmed here"))
            }
        }
        guard !items.contains(where: { $0.status == .failed }) else { return items }
        if readsServices { items += try await checkProducts(tenantID: tenantID, session: session, on: connection) }
        items += try await checkOrganizations(tenant: tenant, session: session, on: connection)
        return items
    }

    private static func checkProducts(tenantID: Int64, session: AutotaskSession, on connection: Connection) async throws -> [Item] {
        let mappings = try await connection.query("""
            SELECT p.product, m.service_id FROM products p
            LEFT JOIN service_mappings m ON m.tenant_id = \(tenantID) AND m.product = p.product ORDER BY p.product
            """).map { (try $0.decode("product", as: String.self), try $0.decode("service_id", as: Int64?.self)) }
        let services = try await session.services(ids: mappings.compactMap { $0.1.map(Int.init) })
        return mappings.map { product, serviceID in
            let subject = "product \(product)"
            guard let serviceID else {
                return Item(status: .warning, subject: subject, detail: "not mapped: `tally map product TENANT \(product) SERVICE_ID` if the MSP bills it")
            }
            guard let service = services.first(where: { $0.id == Int(serviceID) }) else {
                return Item(status: .failed, subject: subject, detail: "service \(serviceID) does not exist in Autotask: map the product to an existing service")
            }
            if service.isActive == false {
                return Item(status: .failed, subject: subject, detail: "service \(serviceID) (\(service.name ?? "unnamed")) is inactive: activate it in Autotask")
            }
            return Item(status: .ok, subject: subject, detail: "service \(serviceID) (\(service.name ?? "unnamed"))")
        }
    }

    private static func checkOrganizations(tenant: SyncTenant, session: AutotaskSession, on connection: Connection) async throws -> [Item] {
        let rows = try await connection.query("""
            SELECT o.organization_id, o.name, o.company_id, o.contract_id,
                   coalesce(string_agg(m.service_id::text, ',' ORDER BY m.product), '') AS services,
                   coalesce(string_agg(m.product, ',' ORDER BY m.product), '') AS products
            FROM organizations o LEFT JOIN service_mappings m ON m.tenant_id = o.tenant_id
            WHERE o.tenant_id = \(tenant.tenantID)
            GROUP BY o.organization_id, o.name, o.company_id, o.contract_id ORDER BY o.organization_id
            """)
        struct Org { var id: Int64; var name: String; var company: Int64?; var contract: Int64?; var services: [Int64]; var products: [String] }
        let orgs = try rows.map {
            Org(id: try $0.decode("organization_id"), name: try $0.decode("name"), company: try $0.decode("company_id"),
                contract: try $0.decode("contract_id"),
                services: (try $0.decode("services", as: String.self)).split(separator: ",").compactMap { Int64($0) },
                products: (try $0.decode("products", as: String.self)).split(separator: ",").map(String.init))
        }
        let contractIDs = orgs.compactMap { $0.contract.map(Int.init) }
        let contracts = Dictionary(try await session.contracts(ids: contractIDs).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let onContracts = Set(try await session.contractServices(contractIDs: contractIDs).map { "\($0.contractID):\($0.serviceID)" })
        return orgs.map { org in
            let subject = "organization \(org.id) “\(org.name)”"
            guard let company = org.company, let contractID = org.contract else {
                return Item(status: .warning, subject: subject,
                            detail: org.company == nil ? "no company: `tally map company` (or `tally map suggest`)" : "no contract: `tally map contract`")
            }
            guard let contract = contracts[Int(contractID)] else {
                return Item(status: .failed, subject: subject, detail: "contract \(contractID) does not exist in Autotask (or the API user cannot see it): map an existing contract")
            }
            if let problem = ContractCheck.problem(contract, companyID: Int(company), today: tenant.today, who: nil) {
                return Item(status: .failed, subject: subject, detail: problem.message)
            }
            let missing = zip(org.products, org.services).filter { !onContracts.contains("\(contractID):\($1)") }
            if !missing.isEmpty {
                let list = missing.map { "\($0.0) (service \($0.1))" }.joined(separator: ", ")
                return Item(status: .failed, subject: subject, detail: "\(list) not on contract \(contractID): add the service to the contract in Autotask")
            }
            return Item(status: .ok, subject: subject, detail: "contract \(contractID) is Recurring Service, active, in date, with every mapped service")
        }
    }
}
