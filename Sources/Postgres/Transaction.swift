extension Connection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    public func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await execute("BEGIN", name: "begin")
        let result: Result
        do {
            result = try await body(self)
        } catch {
            _ = try? await execute("ROLLBACK", name: "rollback")
            throw error
        }
        try await execute("COMMIT", name: "commit")
        return result
    }

    /// Runs `body` inside a savepoint of the current transaction: an error
    /// rolls back to the savepoint only, then is rethrown.
    public func withSavepoint<Result>(
        _ name: String = "tally_savepoint",
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await execute("SAVEPOINT \(identifier: name)", name: "savepoint")
        let result: Result
        do {
            result = try await body(self)
        } catch {
            _ = try? await execute("ROLLBACK TO SAVEPOINT \(identifier: name)", name: "rollback to savepoint")
            throw error
        }
        try await execute("RELEASE SAVEPOINT \(identifier: name)", name: "release savepoint")
        return result
    }
}
