public import TallyQueue

#if canImport(Glibc)
import Glibc
#endif

/// A job that kills its worker process (SIGKILL), for tests and benchmarks of
/// poison jobs. Only `tally-bench worker` knows it: the shipped `tally` has no
/// kind that crashes on request.
public struct CrashKind: JobKind {
    public static let name = "crash"

    public struct Arguments: Codable, Sendable {}

    public init() {}

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobOutcome {
        kill(getpid(), SIGKILL)
        return .succeeded
    }
}
