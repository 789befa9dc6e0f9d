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
    } catch let error as InputError {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw refusedInput
    } catch let error as TenantNotFound {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw refusedInput
    } catch let error as SecretError {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw refusedInput
    } catch {
        FileHandle.standardError.write(Data("tally: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Exit status for input Tally refused (EX_DATAERR); nothing was written.
let refusedInput = ExitCode(65)
