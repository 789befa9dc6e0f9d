import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import TallyCore

/// `/healthz` (the process is live), `/readyz` (its database answers) and
/// `/metrics` (Prometheus text) for a worker or scheduler process.
enum ObservabilityServer {
    /// Bootstraps the Prometheus backend and returns the services to run
    /// before the process's own (so they answer while it drains), or none
    /// when no port is configured.
    static func services(
        options: MetricsOptions, health: DatabaseHealth, logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let port = try options.resolvedPort() else { return [] }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let application = Application(
            router: router(registry: registry, health: health),
            configuration: ApplicationConfiguration(address: .hostname(options.resolvedHost, port: port), serverName: "tally"),
            onServerRunning: { channel in
                logger.info("serving /healthz, /readyz and /metrics", metadata: [
                    "address": "\(options.resolvedHost):\(channel.localAddress?.port ?? port)",
                ])
            },
            logger: logger)
        return [.init(service: health), .init(service: application)]
    }

    static func router(registry: PrometheusCollectorRegistry, health: DatabaseHealth) -> Router<BasicRequestContext> {
        let memory = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "resident_memory", unitName: "bytes", helpText: "Resident memory of this process."))
        let router = Router()
        router.get("healthz") { _, _ in text("ok\n") }
        router.get("readyz") { _, _ in
            let (ready, reason) = health.readiness
            return text(reason + "\n", status: ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            if let bytes = ProcessMemory.residentBytes() { memory.set(Int64(bytes)) }
            return text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        return router
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
