/// Generates Huntress accounts from a seed: the same seed gives the same accounts.
public struct HuntressGenerator: Sendable, Codable {
    public var seed: UInt64
    public var accounts: Int
    public var organizationsPerAccount: Int

    public init(seed: UInt64 = 1, accounts: Int = 1, organizationsPerAccount: Int = 10) {
        self.seed = seed
        self.accounts = accounts
        self.organizationsPerAccount = organizationsPerAccount
    }

    /// Account N has id N and the key pair `hk-pub-N` / `hk-priv-N`; its organizations
    /// have ids from N × 1,000,000 + 1, names `Customer N-I`, 1–200 agents of which up
    /// to a tenth are not billable, and 0–150 billable identities.
    public func generate() -> SimHuntressWorld {
        var random = SeededGenerator(seed: seed)
        var world = SimHuntressWorld()
        for n in 1...max(1, accounts) {
            let organizations = (1...max(1, organizationsPerAccount)).map { i in
                let agents = Int.random(in: 1...200, using: &random)
                return SimHuntressOrganization(
                    id: n * 1_000_000 + i, name: "Customer \(n)-\(i)", key: "customer-\(n)-\(i)", agentsCount: agents,
                    billableAgentsCount: agents - Int.random(in: 0...(agents / 10), using: &random),
                    billableIdentities: Int.random(in: 0...150, using: &random))
            }
            world.accounts.append(SimHuntressAccount(
                id: n, name: "Account \(n)", publicKey: "hk-pub-\(n)", privateKey: "hk-priv-\(n)", organizations: organizations))
        }
        return world
    }
}
