import ArgumentParser
import ColonyConfig
import ColonyOrchestrator
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

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "SQLite database file (default from configs/colony.yaml: .colony/colony.sqlite).")
    var database: String?

    @Option(name: .customLong("workflows"), help: "Workflow files or directories (repeatable; default from configs/colony.yaml).")
    var workflowPaths: [String] = []

    func run() async throws {
        let configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        var settings = configuration.orchestrator
        if let database { settings.database = database }
        if !workflowPaths.isEmpty { settings.workflows = workflowPaths }
        let endpoints = connection.clientEndpoints(configuration)
        let host: OrchestratorService
        do {
            host = try OrchestratorService(settings, catalog: try OrchestratorService.checkedCatalog(settings), endpoints: endpoints,
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
        try await ServiceGroup(services: [host], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "orchestrator")).run()
    }
}
