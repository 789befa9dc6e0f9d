/// A contract service that several organizations of a tenant are mapped to (an
/// MSP's client with two Huntress organizations or sites): its target is the
/// sum of their usage, and no job writes a total it cannot know whole.
struct SharedContract {
    let sharers: [SyncTarget.Sharer]
    let share: Int
    let contractID: Int
    let who: String
    let product: String
    let removed: Bool

    init(target: SyncTarget, share: Int, contractID: Int, who: String, product: String) {
        self.sharers = target.sharers
        self.removed = target.removedFromHuntressAt != nil
        self.share = share
        self.contractID = contractID
        self.who = who
        self.product = product
    }

    /// Organizations gone from Huntress count 0.
    var total: Int { share + sharers.reduce(0) { $0 + ($1.removed ? 0 : $1.usage ?? 0) } }

    /// Why the total is unknown: a sharer without usage, or with stale usage.
    func problem(refreshError: String?) -> (reason: SyncReason, message: String)? {
        for sharer in sharers where !sharer.removed {
            let other = "organization “\(sharer.name)” (\(sharer.organizationID)), which shares contract \(contractID) with \(who),"
            let rest = "the contract's \(product) units are the sum of its organizations' usage, so none is written until every share is known"
            if sharer.usage == nil {
                return (.noUsage, "\(other) has no \(product) usage recorded: \(rest); import or refresh its usage, or map it to its own contract")
            }
            if sharer.stale {
                let fix = refreshError.map { "this run could not refresh it (\($0)); fix that, then sync again" } ?? "refresh usage, then sync again"
                return (.usageStale, "\(other) has \(product) usage older than the tenant's limit: \(rest); \(fix)")
            }
        }
        return nil
    }

    /// The organizations on the contract that are gone from Huntress, in words (nil: none).
    var removedNames: String? {
        let removed = (self.removed ? [who] : []) + sharers.filter(\.removed).map { "organization “\($0.name)” (\($0.organizationID))" }
        return removed.isEmpty ? nil : removed.joined(separator: " and ") + (removed.count == 1 ? " is" : " are")
    }

    /// The result's note: this organization's share and the total.
    var note: String? {
        guard !sharers.isEmpty else { return nil }
        let names = sharers.map { "“\($0.name)”" }.joined(separator: ", ")
        return "contract \(contractID) is shared by \(sharers.count + 1) organizations (this one and \(names)): this one's \(product) share is \(share) of \(total) units"
    }
}
