import ColonyAgent
import ColonyLogging
import ColonyStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Why the HTTP server stopped.
public enum ControlPlaneError: Error, CustomStringConvertible {
    case cannotServe(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case .cannotServe(let endpoint, let reason):
            "cannot serve HTTP on \(endpoint): \(reason) (set http.endpoint in colony.yaml, or http: {enabled: false})"
        }
    }
}

/// The control plane: the HTTP API (`/api/v1`), served by the orchestrator process with
/// Hummingbird. It reaches the colony over the bus like any client (so a standby's server
/// answers too) and reads the orchestrator lease from the store for its health report.
public struct ControlPlane: Service {
    /// Where and how it serves.
    public struct Options: Sendable {
        public var host: String
        /// 0: the system chooses; `onListening` is told which.
        public var port: Int
        /// The bearer token every route but `/api/v1/health` and `/metrics` needs.
        public var token: String
        public var logger: Logger

        public init(host: String, port: Int, token: String, logger: Logger = Logger(label: "http")) {
            self.host = host
            self.port = port
            self.token = token
            self.logger = logger
        }
    }

    let options: Options
    let bus: BusGateway
    let health: HealthProbe
    let events: EventHub
    let subscriber: Subscriber?
    let onListening: @Sendable (_ port: Int) async -> Void

    /// `client` and `subscriber` reach the bus (with the orchestrator's credentials); `store`
    /// and `holder` are the orchestrator's, to tell active from standby.
    public init(options: Options, client: ColonyClient, subscriber: Subscriber?, store: any OrchestratorStore, holder: String,
                onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) {
        self.options = options
        self.bus = BusGateway(client: client)
        self.health = HealthProbe(store: store, holder: holder)
        self.events = EventHub(logger: options.logger)
        self.subscriber = subscriber
        self.onListening = onListening
    }

    /// The router with every route and the token check, for the server and for tests.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BearerToken(token: options.token))
        addRoutes(to: router)
        ColonyMetrics.addRoute(to: router, registry: ColonyMetrics.registry)
        return router
    }

    public func run() async throws {
        let requested = options.port
        let onListening = self.onListening
        let logger = options.logger
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "colony"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? requested
                logger.debug("http listening", metadata: ["port": "\(port)"])
                await onListening(port)
            },
            logger: logger.quieter(than: .notice)
        )
        let events = self.events
        let subscriber = self.subscriber
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let subscriber { group.addTask { await events.follow(subscriber) } }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(15))
                    await events.keepAlive()
                }
            }
            // Open event streams never end on their own: end them, or the server waits for them.
            try await withGracefulShutdownHandler {
                do {
                    try await application.run()
                } catch {
                    throw ControlPlaneError.cannotServe(endpoint: "\(options.host):\(requested)", reason: "\(error)")
                }
            } onGracefulShutdown: {
                Task { await events.closeAll() }
            }
            group.cancelAll()
        }
    }
}
