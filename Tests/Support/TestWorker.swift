import Foundation
import Logging
import Postgres
import ServiceLifecycle
import TallyCore
import TallyQueue

/// `tally-bench worker`: the worker `tally worker` builds (`TallyWorker`),
/// plus the kinds only tests and benchmarks may run (`CrashKind`). Reads
/// DATABASE_URL, TALLY_SECRET_KEY and TALLY_AUTOTASK_URL as `tally` does, and
/// the flags `--concurrency`, `--batch-size`, `--lease-seconds`,
/// `--retry-base-seconds`, `--poll-seconds`.
public enum TestWorker {
    public static func run(_ arguments: [String]) async throws {
        var settings = TallyWorker.Settings(database: .fromEnvironment(applicationName: "tally-bench worker"))
        var index = 0
        while index + 1 < arguments.count {
            guard let value = Double(arguments[index + 1]), value > 0 else { throw UsageError(arguments[index]) }
            switch arguments[index] {
            case "--concurrency": settings.queue.concurrency = Int(value)
            case "--batch-size": settings.queue.batchSize = Int(value)
            case "--lease-seconds": settings.queue.lease = .milliseconds(Int64(value * 1000))
            case "--retry-base-seconds": settings.queue.retryPolicy = RetryPolicy(base: .milliseconds(Int64(value * 1000)))
            case "--poll-seconds": settings.queue.pollInterval = .milliseconds(Int64(value * 1000))
            default: throw UsageError(arguments[index])
            }
            index += 2
        }
        guard index == arguments.count else { throw UsageError(arguments[index]) }
        if let url = ProcessInfo.processInfo.environment["TALLY_AUTOTASK_URL"].flatMap(URL.init(string:)) {
            settings.zoneLookupURL = url
        }
        settings.autotaskRequestTimeout = try TallyWorker.Settings.autotaskRequestTimeout(nil)
        settings.secretKey = try? SecretKey.fromEnvironment(ProcessInfo.processInfo.environment)
        var logger = Logger(label: "tally-bench.worker")
        logger.logLevel = .warning
        let assembled = try TallyWorker(settings, extraKinds: { $0.register(CrashKind()) }, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: assembled.worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await assembled.shutdown()
    }

    struct UsageError: Error, CustomStringConvertible {
        var option: String
        init(_ option: String) { self.option = option }
        var description: String {
            "tally-bench worker: \(option) is not one of --concurrency, --batch-size, --lease-seconds, --retry-base-seconds, --poll-seconds with a positive number"
        }
    }
}
