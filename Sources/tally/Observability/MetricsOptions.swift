import ArgumentParser
import Foundation

/// Where `tally worker` and `tally scheduler` serve `/healthz`, `/readyz`
/// and `/metrics`; no port, no HTTP server.
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-port"),
            help: "Serve /healthz, /readyz and /metrics on this port (0: any free port; also TALLY_METRICS_PORT).")
    var port: Int?

    @Option(name: .customLong("metrics-host"),
            help: "Address to serve them on (also TALLY_METRICS_HOST; default 0.0.0.0, for probes from outside).")
    var host: String?

    func validate() throws {
        _ = try resolvedPort()
    }

    func resolvedPort() throws -> Int? {
        let environment = ProcessInfo.processInfo.environment
        let text = port.map(String.init) ?? environment["TALLY_METRICS_PORT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return nil }
        guard let value = Int(text), (0...65535).contains(value) else {
            throw ValidationError("the metrics port must be a number from 0 to 65535, not '\(text)' (--metrics-port or TALLY_METRICS_PORT)")
        }
        return value
    }

    var resolvedHost: String {
        host ?? ProcessInfo.processInfo.environment["TALLY_METRICS_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
    }
}
