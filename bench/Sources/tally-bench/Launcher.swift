import Foundation

/// Starts the benchmark's helper programs: ours from the directory of
/// tally-bench itself, others (pgbench) from PATH.
struct Launcher {
    let binDirectory: URL

    init(binDirectory: URL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()) {
        self.binDirectory = binDirectory
    }

    /// `log`: where the program's standard output and error go (default: the benchmark's own).
    func launch(
        _ program: String, _ arguments: [String], environment extra: [String: String] = [:], quiet: Bool = false,
        log: FileHandle? = nil
    ) throws -> Process {
        let process = Process()
        let local = binDirectory.appendingPathComponent(program)
        if FileManager.default.isExecutableFile(atPath: local.path) {
            process.executableURL = local
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_LOG_LEVEL"] = "warning"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        if quiet { process.standardOutput = FileHandle.nullDevice }
        if let log {
            process.standardOutput = log
            process.standardError = log
        }
        try process.run()
        return process
    }
}
