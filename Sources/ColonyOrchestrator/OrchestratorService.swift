import ColonyAgent
import ColonyCore
import ColonyEngine
import ColonyLogging
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import ServiceLifecycle

/// An orchestrator as a `Service`: the store, the engine, the scheduler, the coordinator and
/// the agent serving `colony.workflow.*` / `colony.schedule.*` / `colony.coordination.*`.
/// `colony orchestrator` runs one on its own; `colony up` runs one next to the broker.
///
/// Several orchestrators may share one database: the one holding the store's `orchestrator`
/// lease is active (it resumes runs, fires schedules and serves the bus); the others wait on
/// standby and take over when the lease lapses (its term grows by one each time).
public struct OrchestratorService: Service {
    /// The database this orchestrator uses (a file, or a URL without its password).
    public let database: String
    /// The workflows it runs.
    public let workflows: [String]
    let settings: OrchestratorSettings
    /// Its store, which the HTTP API's health report reads too.
    public let store: any OrchestratorStore
    let endpoints: BrokerEndpoints
    let heartbeatInterval: Duration
    let gateTimeToLive: Duration
    /// The CURVE credentials of the orchestrator's key (nil on an unsecured bus).
    let credentials: Credentials?
    public let holder: String
    let logger: Logger

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

    /// Opens the store; nothing runs until `run()`. `catalog` is what `checkedCatalog` returned.
    public init(
        _ settings: OrchestratorSettings, catalog: WorkflowCatalog, endpoints: BrokerEndpoints, heartbeatInterval: Duration,
        gateTimeToLive: Duration, credentials: Credentials? = .ambient, logger: Logger
    ) async throws(StartError) {
        do {
            store = try await OrchestratorStores.open(settings.database, logger: logger)
        } catch {
            throw .store(error)
        }
        database = store.location
        workflows = catalog.workflows.map(\.name)
        self.settings = settings
        self.endpoints = endpoints
        self.heartbeatInterval = heartbeatInterval
        self.gateTimeToLive = gateTimeToLive
        self.credentials = credentials
        self.logger = logger
        holder = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UUID().uuidString.prefix(8))"
    }

    /// Standby until the lease is ours, active while it stays ours, round again if it is lost;
    /// on a graceful shutdown, ticks stop, attempts in flight get `shutdown_grace` to finish,
    /// and the lease is released.
    public func run() async {
        var leaseLogger = logger
        leaseLogger[metadataKey: "database"] = "\(store.location)"
        let lease = OrchestratorLease(store: store, holder: holder, duration: settings.lease, logger: leaseLogger)
        EngineMetrics.lease(active: false, term: 0, holder: holder)  // standby until the lease says otherwise
        await lease.run { term in await serve(term: term) }
    }

    /// What runs while this orchestrator is the active one, as one group. A graceful shutdown
    /// stops it in reverse order: the bus API, the scheduler (ticks stop), the engine (attempts
    /// in flight finish), the gate announcer, the coordinator (leaders stay renewed while
    /// coordinated attempts drain). Cancellation (the lease was lost) stops it all at once.
    func serve(term: Int64) async {
        // Attempts wait for a broker that is not up yet rather than failing at once; a step
        // naming a capability no agent has offered fails at once, with the nearest name.
        let client = ColonyClient(endpoints: endpoints, credentials: credentials, connectTimeout: .seconds(30), unoffered: .fail,
                                  loop: ColonyIO.engineLoop)
        // Connected now: a PUB socket drops what it sends before its connection is up.
        let publisher = Publisher(endpoints: endpoints, source: "orchestrator", credentials: credentials)
        do {
            try await publisher.connect()
        } catch {
            logger.error("cannot connect the orchestrator's publisher; announcements wait for it", metadata: ["error": "\(error)"])
        }
        let coordinator = Coordinator(store: store, bus: BusCoordination(client: ColonyClient(endpoints: endpoints, credentials: credentials), publisher: publisher, logger: logger),
                                      leaseDuration: settings.leaderLease, declaredElectorates: settings.electorates, logger: logger)
        var options = Engine.Options()
        options.defaultAttemptTimeout = settings.defaultStepTimeout
        options.maxConcurrentRuns = settings.maxConcurrentRuns
        options.maxQueuedRuns = settings.maxQueuedRuns
        options.resources = settings.resources
        options.shutdownGrace = settings.shutdownGrace
        options.executor = ColonyIO.engineLoop
        let engine = Engine(store: store, dispatcher: BusDispatcher(client: client, logger: logger, coordinator: coordinator),
                            options: options, logger: logger)
        let registry = WorkflowRegistry(paths: settings.workflows, store: store)
        let logger = self.logger
        await engine.setChildWorkflows { name -> (id: Int64, definition: WorkflowDefinition)? in
            do {
                return try await registry.current(name)
            } catch {
                logger.warning("no runnable child workflow", metadata: ["workflow": "\(name)", "error": "\(error)"])
                return nil
            }
        }
        let coordinated = await registry.catalog().workflows.flatMap {
            ($0.steps + $0.handlers).compactMap { $0.coordination?.mode == .leaderFollower ? $0.coordination?.group : nil }
        }
        await coordinator.track(Set(coordinated))
        let scheduler = Scheduler(store: store, engine: engine, registry: registry, logger: logger)
        await engine.observeRunEnds { _, _ in Task { await scheduler.poke() } }
        let transitions = TransitionEvents(publisher: publisher, logger: logger)
        await engine.observeTransitions { transitions.observe($0) }
        await scheduler.observeTicks { transitions.observe(tick: $0) }
        // The broker holds requests of runs until it knows the runs that ended (after its own
        // restart, or ours, it may not): the announcer tells it.
        let gate = GateAnnouncer(store: store, client: ColonyClient(endpoints: endpoints, credentials: credentials), timeToLive: gateTimeToLive, logger: logger)
        let resumed: Int
        do {
            resumed = try await engine.resume()
        } catch {
            logger.error("cannot resume unfinished runs", metadata: ["error": "\(error)"])
            resumed = 0
        }
        var agentOptions = AgentOptions(endpoints: endpoints, heartbeatInterval: heartbeatInterval, handlesSignals: false)
        agentOptions.logger = logger.quieter(than: .notice)
        agentOptions.credentials = credentials
        let api = AgentService(Orchestrator(engine: engine, registry: registry, store: store, scheduler: scheduler, coordinator: coordinator,
                                            triggers: store).agent(),
                               options: agentOptions)
        let triggers = TriggerService(engine: engine, registry: registry, store: store, endpoints: endpoints, credentials: credentials, logger: logger)
        let group = ServiceGroup(services: [coordinator, gate, transitions, engine, scheduler, triggers, api], logger: logger)
        logger.notice("active orchestrator", metadata: ["term": "\(term)", "resumed_runs": "\(resumed)", "database": "\(store.location)"])
        EngineMetrics.lease(active: true, term: term, holder: holder)
        defer { EngineMetrics.lease(active: false, term: term, holder: holder) }
        do {
            // The group stops its services one after the other (the bus API first); the engine
            // stops sending at once, so no step starts while the others wind down.
            try await withGracefulShutdownHandler {
                try await group.run()
            } onGracefulShutdown: {
                Task { await engine.stopDispatching() }
            }
        } catch {
            logger.error("the active orchestrator stopped on an error", metadata: ["error": "\(error)"])
        }
        await publisher.close(linger: .milliseconds(200))
        logger.debug("orchestrator stopped", metadata: ["term": "\(term)"])
    }
}
