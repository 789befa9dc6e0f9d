import Foundation

/// CPU seconds spent by processes, from /proc: where a benchmark's time goes
/// when the simulator, the workers and PostgreSQL share the machine.
struct ProcessCPU {
    struct Split {
        var benchmark: Double
        var workers: Double
        var postgres: Double

        static func - (lhs: Split, rhs: Split) -> Split {
            Split(benchmark: lhs.benchmark - rhs.benchmark, workers: lhs.workers - rhs.workers, postgres: lhs.postgres - rhs.postgres)
        }

        var summary: String {
            String(format: "CPU s: benchmark+simulator %.2f, workers %.2f, PostgreSQL %.2f", benchmark, workers, postgres)
        }
    }

    let workers: [Int32]

    func split() -> Split {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let postgres = Self.pids().filter { Self.command($0) == "postgres" }
        return Split(
            benchmark: Double(Self.ticks(getpid())) / ticks,
            workers: Double(workers.map(Self.ticks).reduce(0, +)) / ticks,
            postgres: Double(postgres.map(Self.ticks).reduce(0, +)) / ticks)
    }

    private static func pids() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
    }

    private static func command(_ pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// utime + stime of /proc/PID/stat (fields 14 and 15; the command in parentheses may hold spaces).
    private static func ticks(_ pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }
}
