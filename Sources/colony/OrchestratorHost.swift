import ColonyAgent
import ColonyConfig
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

/// A running orchestrator: the store, the engine and the agent serving `colony.workflow.*`.
/// `colony orchestrator` runs one on its own; `colony up` runs one next to the broker.
struct OrchestratorHost {
    let engine: Engine
    let database: String
    let workflows: [String]
    let resumedRuns: Int
    private let service: Task<Void, any Error>

    /// Why an orchestrator could not start.
    enum StartError: Error, CustomStringConvertible {
        case workflows([String])
        case store(StoreError)
        case engine(EngineError)

        var description: String {
            switch self {
            case .workflows(let problems): return "the workflow files have problems:\n" + problems.joined(separator: "\n")
            case .store(let error): return "\(error)"
            case .engine(let error): return "\(error)"
            }
        }
    }

    /// Opens the store, checks the workflow files, resumes unfinished runs and starts serving.
    static func start(
        _ settings: OrchestratorSettings, endpoints: BrokerEndpoints, heartbeatInterval: Duration, logger: Logger
    ) async throws(StartError) -> OrchestratorHost {
        let catalog = WorkflowCatalog.load(settings.workflows)
        guard catalog.problems.isEmpty else { throw .workflows(catalog.problems.map(\.description)) }
        let store: SQLiteWorkflowStore
        do {
            store = try SQLiteWorkflowStore(path: settings.database)
        } catch {
            throw .store(error)
        }
        // Attempts wait for a broker that is not up yet rather than failing at once.
        let client = ColonyClient(endpoints: endpoints, connectTimeout: .seconds(30))
        var options = Engine.Options()
        options.defaultAttemptTimeout = settings.defaultStepTimeout
        let engine = Engine(store: store, dispatcher: BusDispatcher(client: client, logger: logger), options: options, logger: logger)
        let registry = WorkflowRegistry(paths: settings.workflows, store: store)
        let resumed: Int
        do {
            resumed = try await engine.resume()
        } catch {
            throw .engine(error)
        }
        var agentOptions = AgentOptions(endpoints: endpoints, heartbeatInterval: heartbeatInterval, handlesSignals: false)
        agentOptions.logger = logger
        let agent = Orchestrator(engine: engine, registry: registry, store: store).agent()
        let service = Task { [agentOptions] in try await agent.run(options: agentOptions) }
        return OrchestratorHost(engine: engine, database: store.path, workflows: catalog.workflows.map(\.name),
                                resumedRuns: resumed, service: service)
    }

    /// Stops serving; attempts in flight stay recorded as dispatched for the next start.
    func stop() async {
        service.cancel()
        _ = await service.result
        await engine.shutDown()
    }
}
