import Foundation

/// The job kinds a worker can run, by name.
public struct JobRegistry: Sendable {
    typealias Handler = @Sendable (ClaimedJob, JobContext) async throws -> JobOutcome

    private var handlers: [String: Handler] = [:]

    public init() {}

    public mutating func register<Kind: JobKind>(_ kind: Kind) {
        handlers[Kind.name] = { job, context in
            let arguments: Kind.Arguments
            do {
                arguments = try JobQueue.decode(Kind.self, arguments: job.arguments)
            } catch {
                throw JobFailure.permanent("the job's arguments are malformed for kind \(Kind.name): \(error)")
            }
            return try await kind.run(arguments, context: context)
        }
    }

    public var kinds: [String] { handlers.keys.sorted() }

    func handler(for kind: String) -> Handler? { handlers[kind] }
}
