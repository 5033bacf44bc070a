import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The process's metrics: swift-metrics bootstrapped with a Prometheus registry, once. The
/// broker, engine, scheduler and supervisor record through swift-metrics; `/metrics` renders
/// the registry in Prometheus' text format.
public enum ColonyMetrics {
    /// The registry every metric of this process lands in (bootstrapping swift-metrics with
    /// it on first use).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// `/metrics` on a router.
    static func addRoute(to router: Router<BasicRequestContext>, registry: PrometheusCollectorRegistry) {
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

/// An HTTP server for `/metrics` alone: what `colony broker --metrics HOST:PORT` runs.
public struct MetricsServer: Service {
    let host: String
    let port: Int
    let logger: Logger

    public init(host: String, port: Int, logger: Logger = Logger(label: "metrics")) {
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        ColonyMetrics.addRoute(to: router, registry: ColonyMetrics.registry)
        let logger = self.logger
        let application = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "colony"),
                                      onServerRunning: { channel in
                                          logger.info("metrics listening", metadata: ["port": "\(channel.localAddress?.port ?? 0)"])
                                      }, logger: logger)
        try await application.run()
    }
}
