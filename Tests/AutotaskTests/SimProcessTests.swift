@testable import Autotask
import Foundation
import TallySim
import Testing

/// `tally-sim` as a process: it prints its address when ready and serves the world it was given.
@Suite("tally-sim executable")
struct SimProcessTests {
    /// Beside the test bundle in the build directory.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tally-sim")

    /// `--help` names every fault the simulator knows (it left out 429 and lost: issue 20).
    @Test func helpNamesEveryFault() throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for fault in FaultSpec.known {
            #expect(words.contains("\(fault.key) (\(fault.meaning))"), "\(fault.key) missing from: \(words)")
        }
        #expect(FaultSpec.known.map(\.key).contains("429") && FaultSpec.known.map(\.key).contains("lost"))
    }

    @Test(.enabled(
        if: FileManager.default.isExecutableFile(atPath: SimProcessTests.executable.path),
        "needs the tally-sim executable beside the test bundle (swift build builds it)"))
    func printsItsAddressAndServes() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--seed", "5", "--databases", "1", "--companies", "3", "--faults", "latency=1,seed=3"]
        let output = Pipe()
        process.standardOutput = output
        let lines = LineCollector()
        output.fileHandleForReading.readabilityHandler = { handle in lines.append(handle.availableData) }
        try process.run()
        defer {
            output.fileHandleForReading.readabilityHandler = nil
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        try await TestWait.until(timeout: .seconds(20)) { lines.text.contains("\n") }
        let line = lines.text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix("tally-sim listening on http://127.0.0.1:"))
        let base = try #require(line.split(separator: " ").last.map(String.init))

        let client = AutotaskClient(configuration: AutotaskConfiguration(zoneLookupURL: URL(string: base + "/ATServicesRest/")!))
        let credentials = AutotaskCredentials(userName: "api@db1.example", integrationCode: "IC-db1", secret: "secret-db1")
        let companies = try await client.session(credentials).companies()
        try await client.shutdown()
        #expect(companies.count == 3)

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit || process.terminationStatus == SIGTERM)
    }
}

/// Collects a pipe's output from its handler thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
