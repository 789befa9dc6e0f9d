public import Logging

/// The tenant, run and job of the job a task is working on, as a task-local,
/// so that every line logged while a handler runs names them — also lines of
/// code that knows nothing of jobs (the Autotask client, the request meter).
/// Install `provider` on the process's log handlers.
public enum JobLogContext {
    @TaskLocal public static var metadata: Logger.Metadata = [:]

    public static let provider = Logger.MetadataProvider { metadata }
}
