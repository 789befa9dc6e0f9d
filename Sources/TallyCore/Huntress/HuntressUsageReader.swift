import Foundation
import Huntress

/// Reads a tenant's organizations and billable counts from Huntress.
///
/// The list (one request per 500 organizations) gives every organization and
/// the counts that are billable there (`billable_identity_count`). Where a
/// product's billable count is only in an organization's detail (EDR's
/// billable agents: the list's `agents_count` counts every agent), the
/// detail is read — one request each, under Huntress's 60 a minute — only
/// where it can change a bill: the organization is mapped to a contract and
/// its list count is not 0 (a list count of 0 is 0 billable). Other
/// organizations get no such usage until they are mapped.
struct HuntressUsageReader {
    /// How one product's units are counted (`products`, sql/010).
    struct Product: Sendable {
        var name: String
        /// The list's field (`huntress_count_field`).
        var listField: String
        var listIsBillable: Bool
        /// `edr.billable_agents_count` or `itdr.billable_identities_count`.
        var detailCount: String?
    }

    struct Reading: Sendable {
        var organizations: [HuntressOrganization]
        var usage: [UsageRow]
        var detailReads: Int
    }

    let session: HuntressSession
    let products: [Product]
    /// The tenant chose the list's counts (`tenants.huntress_counts = 'list'`).
    let listCounts: Bool

    /// `mapped`: organizations with a contract. `checkpoint` is called between detail reads.
    func read(mapped: Set<Int64>, checkpoint: () throws -> Void) async throws -> Reading {
        let organizations = try await session.organizations()
        let listedAt = Date()
        var usage: [UsageRow] = []
        var detailReads = 0
        for organization in organizations {
            var detail: (usage: HuntressOrganizationUsage?, at: Date)?
            for product in products {
                let listed = Self.listCount(product.listField, of: organization)
                if listCounts || product.listIsBillable || listed == 0 {
                    if let listed { usage.append(try row(organization, product, listed, listedAt)) }
                    continue
                }
                guard let countName = product.detailCount, mapped.contains(Int64(organization.id)) else { continue }
                if detail == nil {
                    try checkpoint()
                    detail = (try await session.organization(id: organization.id).usage, Date())
                    detailReads += 1
                }
                if let units = Self.detailCount(countName, in: detail?.usage), let at = detail?.at {
                    usage.append(try row(organization, product, units, at))
                }
            }
        }
        return Reading(organizations: organizations, usage: usage, detailReads: detailReads)
    }

    private func row(_ organization: HuntressOrganization, _ product: Product, _ units: Int, _ at: Date) throws -> UsageRow {
        try Self.checkCount(units, organization: organization, product: product.name)
        return UsageRow(organizationID: Int64(organization.id), organizationName: nil, product: product.name, units: units, observedAt: at)
    }

    /// A count Huntress answered must be one Tally can bill: 0 to 2³¹ − 1 (never an overflow, never a negative target).
    static func checkCount(_ units: Int, organization: HuntressOrganization, product: String) throws {
        guard !UsageRow.billableUnits.contains(units) else { return }
        throw HuntressCountError(
            description: "Huntress answered \(units) \(product) units for organization “\(organization.name ?? "unnamed")” (\(organization.id)), which is not a count Tally can bill (0 to \(UsageRow.billableUnits.upperBound)): the refresh stopped and wrote nothing; report it to Huntress")
    }

    static func listCount(_ field: String, of organization: HuntressOrganization) -> Int? {
        switch field {
        case "agents_count": organization.agentsCount
        case "billable_identity_count": organization.billableIdentityCount
        default: nil
        }
    }

    static func detailCount(_ name: String, in usage: HuntressOrganizationUsage?) -> Int? {
        switch name {
        case "edr.billable_agents_count": usage?.billableAgents
        case "itdr.billable_identities_count": usage?.billableIdentities
        default: nil
        }
    }
}

/// A count from Huntress that is not a billable number of units.
struct HuntressCountError: Error, CustomStringConvertible {
    var description: String
}
