import ArgumentParser
import Foundation
import TallyCore

/// Runs a command's body; a failure is printed to standard error as one
/// sentence and the process exits with status 1 (65 for refused input).
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as UserError {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw UserError.exitCode
    } catch let error as TenantNotFound {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw UserError.exitCode
    } catch {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
