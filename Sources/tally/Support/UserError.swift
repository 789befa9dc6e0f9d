import ArgumentParser

/// Input Tally refuses: printed as one sentence that says what to do, with
/// exit code 65 (EX_DATAERR); nothing was written.
struct UserError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }

    static let exitCode = ExitCode(65)
}
