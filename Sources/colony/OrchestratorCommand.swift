import ArgumentParser
import ColonyAgent
import ColonyConfig
import ColonyControlPlane
import ColonyOrchestrator
import ColonyStore
import ColonySupervisor
import Foundation
import Logging
import ServiceLifecycle

/// `colony orchestrator`: the workflow engine as a daemon.
struct OrchestratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Run the workflow engine: start, resume and cancel runs, serve `colony workflow …`.",
        discussion: """
        Runs survive restarts: every transition is in the database before it is acted on, and on
        start every unfinished run continues (attempts in flight are sent again with the same
        idempotency key). SIGINT/SIGTERM stop it; kill -9 loses nothing either.
        """
    )


    @Option(help: "SQLite database file, or postgres://USER@HOST:PORT/DATABASE (password in COLONY_DATABASE_PASSWORD) (default from configs/colony.yaml: .colony/colony.sqlite).")
    var database: String?

    @Option(name: .customLong("workflows"), help: "Workflow files or directories (repeatable; default from configs/colony.yaml).")
    var workflowPaths: [String] = []

    @Option(help: "Serve the dashboard, API and /metrics on HOST:PORT (default: http.endpoint of colony.yaml).")
    var http: String?

    @Flag(help: "Serve no HTTP (a second orchestrator on the same machine as another, say).")
    var noHttp = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: EventConnectionOptions

    func validate() throws {
        if let http, HostPort(http) == nil { throw ValidationError("--http must be HOST:PORT with a port from 0 to 65535, not '\(http)'") }
    }

    func run() async throws {
        ParentWatch.startIfRequested()
        var configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        if let address = http.flatMap(HostPort.init) { (configuration.http.host, configuration.http.port) = (address.host, address.port) }
        if noHttp { configuration.http.enabled = false }
        if configuration.http.enabled { _ = ColonyMetrics.registry }
        var settings = configuration.orchestrator
        if let database { settings.database = database }
        if !workflowPaths.isEmpty { settings.workflows = workflowPaths }
        let endpoints = connection.clientEndpoints(configuration)
        let host: OrchestratorService
        do {
            host = try await OrchestratorService(settings, catalog: try OrchestratorService.checkedCatalog(settings), endpoints: endpoints,
                                        heartbeatInterval: configuration.broker.heartbeatInterval,
                                        gateTimeToLive: configuration.broker.failedRunTimeToLive, logger: Logger(label: "orchestrator"))
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        Console.line("colony orchestrator")
        Console.line("  broker      \(endpoints.requests)")
        Console.line("  database    \(host.database)")
        Console.line("  workflows   \(host.workflows.joined(separator: ", "))")
        var services: [any Service] = [host]
        if configuration.http.enabled {
            do {
                let token = try configuration.security.keys.httpToken()
                let httpHost = configuration.http.host
                let credentials = try connection.credentials(configuration)
                let plane = ControlPlane(
                    options: ControlPlane.Options(host: configuration.http.host, port: configuration.http.port, token: token),
                    client: ColonyClient(endpoints: endpoints, credentials: credentials), subscriber: Subscriber(endpoints: endpoints, credentials: credentials),
                    store: host.store, holder: host.holder
                ) { port in
                    Console.line("dashboard http://\(httpHost):\(port)/?token=\(token)")
                }
                services.append(plane)
            } catch {
                Console.error("error: cannot serve HTTP: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "orchestrator")).run()
    }
}
