import ArgumentParser
import Foundation

/// Runs a command's body; a failure is printed to standard error as one
/// sentence and the process exits with status 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
