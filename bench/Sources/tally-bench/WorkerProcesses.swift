import Foundation
import Postgres
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A benchmark's `tally worker` processes: started together, ready once
/// each has registered in `workers`, stopped together with SIGTERM.
struct WorkerProcesses {
    let processes: [Process]

    var pids: [Int32] { processes.map(\.processIdentifier) }

    /// `arguments` follow `tally worker`.
    static func start(
        _ count: Int, arguments: [String], environment: [String: String], on db: Connection
    ) async throws -> WorkerProcesses {
        let workers = WorkerProcesses(processes: try (0..<count).map { _ in
            try Launcher().launch("tally", ["worker"] + arguments, environment: environment)
        })
        do {
            let pids = workers.pids.map(Int64.init)
            while try await Fixtures.count(
                "SELECT count(*)::int AS n FROM workers WHERE pid = ANY (\(pids)::bigint[])", on: db) < count {
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch {
            workers.stop()
            throw error
        }
        return workers
    }

    func stop() {
        for process in processes { kill(process.processIdentifier, SIGTERM) }
        for process in processes { process.waitUntilExit() }
    }
}
