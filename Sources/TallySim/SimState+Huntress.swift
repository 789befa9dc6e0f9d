import Foundation

/// The simulated Huntress, on the simulator's one actor.
extension SimState {
    func huntressAdmit(authorization: String?) -> HuntressGate {
        huntress.admit(authorization: authorization, now: Date())
    }

    func huntressOrganizations(account: Int, limit: String?, pageToken: String?, pageURL: String) -> SimResponse {
        huntress.organizationsPage(account: account, limit: limit, pageToken: pageToken, pageURL: pageURL)
    }

    func huntressOrganization(account: Int, id: String) -> SimResponse {
        huntress.organizationDetail(account: account, id: id)
    }

    /// Replaces every Huntress account (statistics and faults stay).
    public func loadHuntress(_ world: SimHuntressWorld) {
        huntress.load(world, now: Date())
    }

    public func huntressWorld() -> SimHuntressWorld { huntress.world() }

    /// Adds an account, or replaces the one with its id (and that one's organizations).
    public func addHuntressAccount(_ account: SimHuntressAccount) {
        huntress.addAccount(account, now: Date())
    }

    /// Adds an organization (id 0: the next free one); nil when there is no such account.
    @discardableResult
    public func addHuntressOrganization(_ organization: SimHuntressOrganization, account: Int) -> SimHuntressOrganization? {
        huntress.addOrganization(organization, account: account, now: Date())
    }

    public func renameHuntressOrganization(_ id: Int, to name: String) -> Bool {
        huntress.rename(organization: id, to: name, now: Date())
    }

    public func setHuntressCounts(_ id: Int, _ counts: SimHuntressCounts) -> Bool {
        huntress.setCounts(organization: id, counts, now: Date())
    }

    public func removeHuntressOrganization(_ id: Int) -> Bool {
        huntress.remove(organization: id)
    }

    /// At most `requests` admitted per key in any `windowSeconds` (Huntress: 60 in 60 s);
    /// nil lifts the limit.
    public func setHuntressLimit(requests: Int?, windowSeconds: Double = 60) {
        huntress.requestsPerWindow = requests
        huntress.windowSeconds = max(0.001, windowSeconds)
    }

    public func setHuntressFaults(_ spec: FaultSpec) { huntress.setFaults(spec) }

    public func huntressFaults() -> FaultSpec { huntress.faults }

    public func huntressStatistics() -> SimHuntressStatistics { huntress.statistics }

    /// Forgets the counts and every key's window.
    public func resetHuntressStatistics() { huntress.resetStatistics() }
}
