import Foundation
import Postgres
import TallyCore

/// Issue 9's scenarios at full size, and the soak: `bench/chaos/run`
/// (`make chaos`). Each scenario prints jobs, kills, restarts, faults
/// injected, lost, doubled and its duration; the run exits 1 if any failed.
struct ChaosBenchmark {
    struct Options {
        var scenarios = [1, 2, 3, 4, 5, 6, 7, 8]
        var soakMinutes = 60
        var soakConcurrency = 200
        var sampleSeconds = 15
        /// Tasks per worker in scenarios 1–5 and 7.
        var concurrency = 16
    }

    let options: Options
    let database = ConnectionConfiguration.fromEnvironment(applicationName: "tally-bench")

    func connection() async throws -> Connection {
        try await Connection.connect(database)
    }

    /// Runs the chosen scenarios; answers whether all passed.
    func run() async throws -> Bool {
        let db = try await connection()
        _ = try await Migrator(migrations: try Migration.load(from: MigrationDirectory.locate(explicit: nil))).apply(on: db)
        print("chaos: scenarios \(options.scenarios.map(String.init).joined(separator: ",")); soak \(options.soakMinutes) min")
        var all: [ChaosFigures] = []
        for scenario in options.scenarios {
            let figures: ChaosFigures
            switch scenario {
            case 1: figures = try await workerKills()
            case 2: figures = try await databaseRestart()
            case 3: figures = try await flakyAutotask()
            case 4: figures = try await outage()
            case 5: figures = try await budget()
            case 6: figures = try await schedulers()
            case 7: figures = try await poison()
            case 8: figures = try await soak()
            default: continue
            }
            figures.print()
            all.append(figures)
        }
        print("summary:")
        for figures in all { print("  " + figures.line) }
        return all.allSatisfy(\.passed)
    }

    static func parse(_ arguments: ArraySlice<String>) -> Options? {
        var options = Options()
        var index = arguments.startIndex
        while index < arguments.endIndex {
            guard index + 1 < arguments.endIndex else { return nil }
            let value = arguments[index + 1]
            switch arguments[index] {
            case "--scenarios":
                let list = value.split(separator: ",").compactMap { Int($0) }
                guard !list.isEmpty, list.allSatisfy((1...8).contains) else { return nil }
                options.scenarios = list
            case "--soak-minutes":
                guard let n = Int(value), n > 0 else { return nil }
                options.soakMinutes = n
            case "--soak-concurrency":
                guard let n = Int(value), n > 0 else { return nil }
                options.soakConcurrency = n
            case "--sample-seconds":
                guard let n = Int(value), n > 0 else { return nil }
                options.sampleSeconds = n
            case "--concurrency":
                guard let n = Int(value), n > 0 else { return nil }
                options.concurrency = n
            default: return nil
            }
            index += 2
        }
        return options
    }
}
