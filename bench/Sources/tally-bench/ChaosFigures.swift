import Foundation

/// What one chaos scenario reports: its size, the faults it met, and whether
/// every job ended with every contract at its usage (lost = 0, doubled = 0).
struct ChaosFigures {
    var scenario: String
    var jobs = 0
    var kills = 0
    var restarts = 0
    var faults = 0
    var lost = 0
    var doubled = 0
    var seconds = 0.0
    /// Checks of the scenario's own promise that failed (empty: it held).
    var failures: [String] = []
    var details: [String] = []

    init(_ scenario: String) { self.scenario = scenario }

    mutating func require(_ condition: Bool, _ what: String) {
        if !condition { failures.append(what) }
    }

    var passed: Bool { failures.isEmpty && lost == 0 && doubled == 0 }

    var line: String {
        String(format: "%@: jobs %d, kills %d, restarts %d, faults injected %d, lost = %d, doubled = %d, %.1f s — %@",
               scenario, jobs, kills, restarts, faults, lost, doubled, seconds, passed ? "ok" : "FAILED")
    }

    func print() {
        Swift.print(line)
        for detail in details { Swift.print("    " + detail) }
        for failure in failures { Swift.print("    FAILED: " + failure) }
        flushOutput()
    }
}

/// Standard output is buffered when it is a file: each figure goes out as it comes.
func flushOutput() {
    fflush(nil)
}
