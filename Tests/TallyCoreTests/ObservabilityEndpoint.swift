import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The /healthz, /readyz and /metrics of a `tally` process started with
/// `--metrics-port 0 --metrics-host 127.0.0.1`, found from its log.
struct ObservabilityEndpoint {
    let port: Int

    /// Waits for the process to log the address it serves on.
    static func of(_ process: WorkerProcess, timeout: Duration = .seconds(30)) async throws -> ObservabilityEndpoint {
        var port: Int?
        _ = try await TestDatabase.waitUntil(timeout: timeout) {
            port = process.log.firstMatch(of: /address"?[=:]"?127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
            return port != nil
        }
        guard let port else { throw Failure("no metrics address in the log:\n\(process.log)") }
        return ObservabilityEndpoint(port: port)
    }

    func get(_ path: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/\(path)")!)
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the sample of `name` whose labels include all of `labels`; nil when absent.
    func sample(_ name: String, _ labels: [String: String] = [:]) async throws -> Double? {
        try await samples(name, labels).first
    }

    /// The sum of every sample of `name` whose labels include all of `labels`.
    func total(_ name: String, _ labels: [String: String] = [:]) async throws -> Double {
        try await samples(name, labels).reduce(0, +)
    }

    private func samples(_ name: String, _ labels: [String: String]) async throws -> [Double] {
        let text = try await get("metrics").body
        return text.split(separator: "\n").filter { line in
            !line.hasPrefix("#") && (line.hasPrefix(name + "{") || line.hasPrefix(name + " "))
                && labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
        }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }
}
