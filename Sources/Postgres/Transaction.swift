extension Connection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    @discardableResult
    public func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await bracketed(begin: "BEGIN", commit: "COMMIT", rollback: "ROLLBACK", body)
    }

    /// Runs `body` inside a savepoint of the current transaction: an error
    /// rolls back to the savepoint only, then is rethrown.
    public func withSavepoint<Result>(
        _ name: String = "tally_savepoint",
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await bracketed(
            begin: "SAVEPOINT \(identifier: name)", commit: "RELEASE SAVEPOINT \(identifier: name)",
            rollback: "ROLLBACK TO SAVEPOINT \(identifier: name)", body)
    }

    private func bracketed<Result>(
        begin: SQL, commit: SQL, rollback: SQL,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        try await execute(begin)
        let result: Result
        do {
            result = try await body(self)
        } catch {
            _ = try? await execute(rollback)
            throw error
        }
        try await execute(commit)
        return result
    }
}
