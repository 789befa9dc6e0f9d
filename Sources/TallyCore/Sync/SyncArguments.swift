public import TallyQueue

/// The arguments of a `sync` job: bring this organization's units of this
/// product to its usage.
public struct SyncArguments: RowArguments, Hashable {
    public typealias Column = CodingKeys

    public var organizationID: Int64
    public var product: String
    /// Set when an operator approved a held change: a change to exactly this
    /// target passes the guard rails.
    public var approvedTarget: Int?
    /// Who approved it (`tally jobs approve --by`), for the contract's audit note.
    public var approvedBy: String?

    public init(organizationID: Int64, product: String, approvedTarget: Int? = nil, approvedBy: String? = nil) {
        self.organizationID = organizationID
        self.product = product
        self.approvedTarget = approvedTarget
        self.approvedBy = approvedBy
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case organizationID = "organization_id"
        case product
        case approvedTarget = "approved_target"
        case approvedBy = "approved_by"
    }
}
