import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a script of scripts/ (or another program) to its end and answers its
/// exit status and output. system(3), not Process: a server the script leaves
/// running (PgBouncer, PostgreSQL) would inherit Process's exit-watching
/// descriptor, and the script would never seem to end.
enum ProjectScript {
    static func run(_ script: String, _ arguments: [String], environment: [String: String] = [:]) -> (Int32, String) {
        run(Fixtures.packageRoot.appendingPathComponent("scripts/\(script)"), arguments, environment: environment)
    }

    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) -> (Int32, String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-script-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let settings = environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)' " }.joined()
        let command = settings + ([executable.path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let status = system("\(command) >'\(outputFile.path)' 2>&1")
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return (status == 0 ? 0 : max(1, status >> 8), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
