import ColonyAgent
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

/// A running orchestrator: the store, the engine, the scheduler and the agent serving
/// `colony.workflow.*` / `colony.schedule.*`. `colony orchestrator` runs one on its own;
/// `colony up` runs one next to the broker.
///
/// Several orchestrators may share one database: the one holding the store's `orchestrator`
/// lease is active (it resumes runs, fires schedules and serves the bus); the others wait on
/// standby and take over when the lease lapses (its term grows by one each time).
public final class OrchestratorHost: Sendable {
    /// The database file this orchestrator uses.
    public let database: String
    /// The workflows it runs.
    public let workflows: [String]
    private let cycle: Task<Void, Never>

    /// Why an orchestrator could not start.
    public enum StartError: Error, CustomStringConvertible {
        case workflows([String])
        case store(StoreError)

        public var description: String {
            switch self {
            case .workflows(let problems): return "the workflow files have problems:\n" + problems.joined(separator: "\n")
            case .store(let error): return "\(error)"
            }
        }
    }

    /// The workflow files, checked: every problem they have, and resources the configuration
    /// does not define. `colony up` calls this before it starts anything.
    public static func checkedCatalog(_ settings: OrchestratorSettings) throws(StartError) -> WorkflowCatalog {
        let catalog = WorkflowCatalog.load(settings.workflows)
        guard catalog.problems.isEmpty else { throw .workflows(catalog.problems.map(\.description)) }
        let unknownResources = catalog.workflows.flatMap { workflow in
            (workflow.steps + workflow.handlers).flatMap { step in
                step.resources.filter { settings.resources[$0] == nil }.map {
                    "\(workflow.file):\(step.line): step '\(step.id)' of workflow '\(workflow.name)' uses resource '\($0)', which the configuration does not define (orchestrator.resources; defined: \(settings.resources.keys.sorted().joined(separator: ", ")))"
                }
            }
        }
        guard unknownResources.isEmpty else { throw .workflows(unknownResources) }
        return catalog
    }

    /// Opens the store, then becomes active as soon as it holds the lease (at once when nobody
    /// else does). `catalog` is what `checkedCatalog` returned.
    public init(
        _ settings: OrchestratorSettings, catalog: WorkflowCatalog, endpoints: BrokerEndpoints, heartbeatInterval: Duration, gateTimeToLive: Duration, logger: Logger
    ) throws(StartError) {
        let store: SQLiteWorkflowStore
        do {
            store = try SQLiteWorkflowStore(path: settings.database)
        } catch {
            throw .store(error)
        }
        database = store.path
        workflows = catalog.workflows.map(\.name)
        let holder = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UUID().uuidString.prefix(8))"
        cycle = Task {
            await Self.cycle(settings: settings, store: store, endpoints: endpoints, heartbeatInterval: heartbeatInterval,
                             gateTimeToLive: gateTimeToLive, holder: holder, logger: logger)
        }
    }

    /// Stops serving and firing; attempts in flight stay recorded as dispatched for the next start.
    public func stop() async {
        cycle.cancel()
        await cycle.value
    }

    /// Standby until the lease is ours, active while it stays ours, and round again if it is lost.
    private static func cycle(
        settings: OrchestratorSettings, store: SQLiteWorkflowStore, endpoints: BrokerEndpoints, heartbeatInterval: Duration,
        gateTimeToLive: Duration, holder: String, logger: Logger
    ) async {
        var leaseLogger = logger
        leaseLogger[metadataKey: "database"] = "\(store.path)"
        let lease = OrchestratorLease(store: store, holder: holder, duration: settings.lease, logger: leaseLogger)
        await lease.run { term in
            await Active.start(settings: settings, store: store, endpoints: endpoints, heartbeatInterval: heartbeatInterval,
                               gateTimeToLive: gateTimeToLive, term: term, logger: logger)
        } deactivate: { active, shuttingDown in
            await active.stop(grace: shuttingDown ? settings.shutdownGrace : .zero)
        }
    }

    /// What runs while this orchestrator is the active one.
    struct Active {
        let engine: Engine
        let scheduler: Scheduler
        let coordinator: Coordinator
        let gate: GateAnnouncer
        let service: Task<Void, any Error>

        static func start(
            settings: OrchestratorSettings, store: SQLiteWorkflowStore, endpoints: BrokerEndpoints, heartbeatInterval: Duration,
            gateTimeToLive: Duration, term: Int64, logger: Logger
        ) async -> Active {
            // Attempts wait for a broker that is not up yet rather than failing at once.
            let client = ColonyClient(endpoints: endpoints, connectTimeout: .seconds(30))
            // Connected now: a PUB socket drops what it sends before its connection is up.
            let publisher = Publisher(endpoints: endpoints, source: "orchestrator")
            try? await publisher.connect()
            let coordination = BusCoordination(client: ColonyClient(endpoints: endpoints), publisher: publisher, logger: logger)
            let coordinator = Coordinator(store: store, bus: coordination,
                                          leaseDuration: settings.leaderLease, declaredElectorates: settings.electorates, logger: logger)
            var options = Engine.Options()
            options.defaultAttemptTimeout = settings.defaultStepTimeout
            options.maxConcurrentRuns = settings.maxConcurrentRuns
            options.resources = settings.resources
            let dispatcher = BusDispatcher(client: client, logger: logger, coordinator: coordinator)
            let engine = Engine(store: store, dispatcher: dispatcher, options: options, logger: logger)
            let registry = WorkflowRegistry(paths: settings.workflows, store: store)
            await engine.setChildWorkflows { name in try? await registry.current(name) }
            let coordinated = await registry.catalog().workflows.flatMap {
                ($0.steps + $0.handlers).compactMap { $0.coordination?.mode == .leaderFollower ? $0.coordination?.group : nil }
            }
            await coordinator.start(groups: Array(Set(coordinated)))
            let scheduler = Scheduler(store: store, engine: engine, registry: registry, logger: logger)
            await engine.observeRunEnds { _, _ in Task { await scheduler.poke() } }
            // The broker holds requests of runs until it knows the runs that ended (after its own
            // restart, or ours, it may not): the announcer tells it.
            let gate = GateAnnouncer(store: store, client: ColonyClient(endpoints: endpoints), timeToLive: gateTimeToLive, logger: logger)
            await gate.start()
            let resumed: Int
            do {
                resumed = try await engine.resume()
            } catch {
                logger.error("cannot resume unfinished runs", metadata: ["error": "\(error)"])
                resumed = 0
            }
            await scheduler.start()
            var agentOptions = AgentOptions(endpoints: endpoints, heartbeatInterval: heartbeatInterval, handlesSignals: false)
            agentOptions.logger = logger
            let agent = Orchestrator(engine: engine, registry: registry, store: store, scheduler: scheduler, coordinator: coordinator).agent()
            let service = Task { [agentOptions] in try await agent.run(options: agentOptions) }
            logger.notice("active orchestrator", metadata: ["term": "\(term)", "resumed_runs": "\(resumed)", "database": "\(store.path)"])
            return Active(engine: engine, scheduler: scheduler, coordinator: coordinator, gate: gate, service: service)
        }

        /// Stops taking ticks, lets attempts in flight finish within the grace period, stops
        /// serving, and leaves the rest resumable.
        func stop(grace: Duration) async {
            await scheduler.stop()
            await coordinator.stop()
            await gate.stop()
            await engine.drain(grace: grace)
            service.cancel()
            _ = await service.result
        }
    }
}
