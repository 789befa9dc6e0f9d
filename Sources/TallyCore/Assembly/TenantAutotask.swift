public import Autotask

/// A tenant's Autotask as an operator's command sees it: a session under the
/// tenant's own credentials and the tenant's today. Built by `Commands.withAutotask`.
public struct TenantAutotask: Sendable {
    let session: AutotaskSession
    public let today: AutotaskDay

    /// The active companies.
    public func activeCompanies() async throws -> [Company] {
        try await session.companies(AutotaskQuery(filter: [.field("isActive", .eq, .bool(true))]))
    }

    /// Recurring Service contracts, of one company or all.
    public func recurringContracts(companyID: Int? = nil) async throws -> [Contract] {
        var filter: [AutotaskFilter] = [.eq("contractType", ContractType.recurringService)]
        if let companyID { filter.append(.eq("companyID", companyID)) }
        return try await session.contracts(AutotaskQuery(filter: filter))
    }

    public func services() async throws -> [Service] {
        try await session.services()
    }
}
