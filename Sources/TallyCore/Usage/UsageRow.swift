public import Foundation

/// Billable units of one product at one organization.
public struct UsageRow: Sendable, Equatable {
    /// The units Tally bills: they fit PostgreSQL's `integer` (`usage.units`,
    /// `results.target_units`), and a count outside is refused wherever it comes from.
    public static let billableUnits = 0...Int(Int32.max)

    public var organizationID: Int64
    /// Creates or renames the organization when given.
    public var organizationName: String?
    public var product: String
    public var units: Int
    /// nil: now.
    public var observedAt: Date?

    public init(organizationID: Int64, organizationName: String?, product: String, units: Int, observedAt: Date?) {
        self.organizationID = organizationID
        self.organizationName = organizationName
        self.product = product
        self.units = units
        self.observedAt = observedAt
    }
}
