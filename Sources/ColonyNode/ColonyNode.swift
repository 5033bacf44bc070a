import ColonyAccess
import ColonyAgent
import ColonyBroker
import ColonyConfig
import ColonyControlPlane
import ColonyCore
import ColonyLogging
import ColonyOrchestrator
import ColonyStore
import ColonySupervisor
import ColonyWire
import ColonyWorkflow
import ColonyYAML
import Foundation
import Logging
import ServiceLifecycle

/// One Colony node, as `colony up` runs it: the broker, the agents of agents.yaml under
/// supervision, the supervisor's bus interface and the orchestrator, in one `ServiceGroup`.
///
/// Everything is checked before anything starts (`prepare`). A graceful shutdown (SIGTERM or
/// SIGINT) stops the services in reverse order: the orchestrator (ticks stop, attempts in
/// flight get `shutdown_grace` to finish), the supervisor's interface, the agents (SIGTERM,
/// then SIGKILL after their grace period) and the broker last.
public struct ColonyNode: Sendable {
    /// What a node is started from.
    public struct Plan: Sendable {
        public var configuration: ColonyConfiguration
        /// The endpoints the broker binds, and those clients (agents, the orchestrator) use.
        public var brokerEndpoints: BrokerEndpoints
        public var clientEndpoints: BrokerEndpoints
        public var agentsFile: String
        /// Where agent logs go (under `logs/`).
        public var runDirectory: String
        /// The `colony` executable, which runs built-in agents as `colony agent run NAME`.
        public var executable: String
        public var builtInAgents: [String]

        /// The endpoints clients use once the broker bound `bound`: the configured ones, but where
        /// the broker bound a port the system chose (port 0), that port on loopback.
        func clientEndpoints(reaching bound: BrokerEndpoints) -> BrokerEndpoints {
            func reaching(_ planned: String, _ configured: String, _ bound: String) -> String {
                planned == bound ? configured : BrokerEndpoints.connectable(bound)
            }
            return BrokerEndpoints(requests: reaching(brokerEndpoints.requests, clientEndpoints.requests, bound.requests),
                                   publish: reaching(brokerEndpoints.publish, clientEndpoints.publish, bound.publish),
                                   subscribe: reaching(brokerEndpoints.subscribe, clientEndpoints.subscribe, bound.subscribe))
        }

        public init(configuration: ColonyConfiguration, brokerEndpoints: BrokerEndpoints, clientEndpoints: BrokerEndpoints,
                    agentsFile: String, runDirectory: String, executable: String, builtInAgents: [String]) {
            self.configuration = configuration
            self.brokerEndpoints = brokerEndpoints
            self.clientEndpoints = clientEndpoints
            self.agentsFile = agentsFile
            self.runDirectory = runDirectory
            self.executable = executable
            self.builtInAgents = builtInAgents
        }
    }

    /// Why a node did not start; nothing runs when one is thrown.
    public enum StartError: Error, CustomStringConvertible {
        /// agents.yaml is wrong (file and line in the error).
        case agents(ConfigError)
        /// The workflow files or the orchestrator settings are wrong.
        case orchestrator(OrchestratorService.StartError)
        /// The broker could not bind its endpoints.
        case broker(endpoint: String, reason: String)
        /// The log directory cannot be created.
        case logs(String)
        /// The keys cannot be created or read.
        case keys(String)

        public var description: String {
            switch self {
            case .agents(let error): return "\(error)"
            case .orchestrator(let error): return "\(error)"
            case .broker(let endpoint, let reason): return "cannot start the broker on \(endpoint): \(reason)"
            case .logs(let reason): return "cannot create the agent log directory: \(reason)"
            case .keys(let reason): return "cannot prepare the bus's keys: \(reason)"
            }
        }
    }

    /// One step of the node's life, for whoever reports it.
    public enum Event: Sendable, CustomStringConvertible {
        /// A supervised agent started, exited, restarted…
        case agent(SupervisorEvent)
        /// A part of the node stopped (during shutdown, in order).
        case stopped(Part)
        /// The control plane listens: the dashboard's URL with its token (told once).
        case dashboard(url: String)

        public var description: String {
            switch self {
            case .agent(let event): return "\(event)"
            case .stopped(let part): return "\(part.rawValue) stopped"
            case .dashboard(let url): return "dashboard \(url)"
            }
        }
    }

    /// The parts of a node, in start order; they stop in the reverse.
    public enum Part: String, Sendable, CaseIterable {
        case broker, agents, control = "supervisor interface", orchestrator, http
    }

    public let broker: BrokerHandle
    public let supervisor: Supervisor
    public let orchestrator: OrchestratorService
    public let agents: AgentsConfiguration
    /// Where agent logs are written.
    public let logDirectory: URL
    /// How the bus is secured ("curve" with the key directory, or "none").
    public let security: SecuritySettings
    /// The credentials of `colony up`'s own bus parts (orchestrator, supervisor interface).
    let credentials: Credentials?
    /// The HTTP API's bearer token (`.colony/keys/http-token`); nil when `http.enabled` is false.
    public let httpToken: String?
    /// Where the node's own parts and its agents reach the broker (its bound ports).
    public let clientEndpoints: BrokerEndpoints
    let plan: Plan

    /// Checks agents.yaml and the workflow files, binds the broker and prepares the supervisor
    /// and the orchestrator; no agent runs yet. The broker binds before the other parts are
    /// told where it is, so an endpoint on port 0 works: they get the port the system chose.
    public static func prepare(_ plan: Plan) async throws(StartError) -> ColonyNode {
        let broker = plan.configuration.broker
        var agents = try loadAgents(plan, endpoints: plan.clientEndpoints)
        // On a secured bus every part gets a key of its own for this run: the orchestrator (its
        // role covers the supervisor's interface too) and each agent entry, whose replicas find
        // theirs in their environment. The broker allows them on top of the access list.
        let security = plan.configuration.security
        var session: [AccessEntry] = []
        var credentials: Credentials?
        var agentCredentials: [String: Credentials] = [:]
        if security.mode == .curve {
            do {
                let keys = security.keys
                try keys.initialize { try Credentials.generateKeyPair() }
                let serverKey = try keys.brokerKeys().publicKey
                let own = try Credentials.generateKeyPair()
                credentials = Credentials(serverKey: serverKey, publicKey: own.publicKey, secretKey: own.secretKey)
                session.append(AccessEntry(name: "colony-up/orchestrator", publicKey: own.publicKey, role: .orchestrator))
                for agent in agents.agents {
                    let pair = try Credentials.generateKeyPair()
                    agentCredentials[agent.name] = Credentials(serverKey: serverKey, publicKey: pair.publicKey, secretKey: pair.secretKey)
                    session.append(AccessEntry(name: "agent/\(agent.name)", publicKey: pair.publicKey, role: .agent, offers: agents.offers[agent.name] ?? []))
                }
            } catch {
                throw .keys("\(error)")
            }
        }
        let settings = plan.configuration.orchestrator.declaring(agents.groupSizes)
        let catalog: WorkflowCatalog
        do {
            catalog = try OrchestratorService.checkedCatalog(settings)
        } catch {
            throw .orchestrator(error)
        }
        var httpToken: String?
        if plan.configuration.http.enabled {
            do {
                httpToken = try security.keys.httpToken()
            } catch {
                throw .keys("\(error)")
            }
        }
        var brokerConfiguration = broker
        brokerConfiguration.endpoints = plan.brokerEndpoints
        let guardian: BrokerGuard?
        do {
            guardian = security.mode == .curve ? try BrokerGuard(keys: security.keys, session: session, logger: Logger(label: "broker")) : nil
        } catch {
            throw .keys("\(error)")
        }
        let journal: EventJournal
        do {
            journal = try EventJournal.open(brokerConfiguration.eventJournal.resolved(besideDatabase: settings.database))
        } catch {
            throw .broker(endpoint: brokerConfiguration.endpoints.requests, reason: "\(error)")
        }
        let handle: BrokerHandle
        do {
            handle = try Broker.start(brokerConfiguration, guard: guardian, journal: journal, logger: Logger(label: "broker"))
        } catch {
            throw .broker(endpoint: brokerConfiguration.endpoints.requests, reason: "\(error)")
        }
        // From here a failure stops the broker before it is thrown.
        do throws(StartError) {
            let clientEndpoints = plan.clientEndpoints(reaching: handle.endpoints)
            if clientEndpoints != plan.clientEndpoints { agents = try loadAgents(plan, endpoints: clientEndpoints) }
            for index in agents.agents.indices {
                guard let keys = agentCredentials[agents.agents[index].name] else { continue }
                agents.agents[index].environment[Credentials.Variable.serverKey] = keys.serverKey
                agents.agents[index].environment[Credentials.Variable.publicKey] = keys.keys.publicKey
                agents.agents[index].environment[Credentials.Variable.secretKey] = keys.keys.secretKey
            }
            let orchestrator: OrchestratorService
            do {
                orchestrator = try await OrchestratorService(settings, catalog: catalog, endpoints: clientEndpoints,
                                                             heartbeatInterval: broker.heartbeatInterval, gateTimeToLive: broker.failedRunTimeToLive,
                                                             credentials: credentials, logger: Logger(label: "orchestrator"))
            } catch {
                throw .orchestrator(error)
            }
            let logs = URL(fileURLWithPath: plan.runDirectory).appendingPathComponent("logs")
            let supervisor: Supervisor
            do {
                supervisor = try Supervisor(logDirectory: logs, environment: [
                    "COLONY_ENDPOINT": clientEndpoints.requests,
                    "COLONY_PUBLISH_ENDPOINT": clientEndpoints.publish,
                    "COLONY_SUBSCRIBE_ENDPOINT": clientEndpoints.subscribe,
                    "COLONY_HEARTBEAT_MS": "\(Int(broker.heartbeatInterval.milliseconds))",
                    "COLONY_LOG_FORMAT": plan.configuration.logFormat,
                ])
            } catch {
                throw .logs("\(logs.path): \(error)")
            }
            return ColonyNode(broker: handle, supervisor: supervisor, orchestrator: orchestrator, agents: agents, logDirectory: logs,
                              security: security, credentials: credentials, httpToken: httpToken, clientEndpoints: clientEndpoints, plan: plan)
        } catch {
            handle.stop()
            await handle.waitUntilStopped()
            throw error
        }
    }

    /// The agents file, its commands told the broker's `endpoints`.
    private static func loadAgents(_ plan: Plan, endpoints: BrokerEndpoints) throws(StartError) -> AgentsConfiguration {
        do {
            return try AgentsConfiguration.load(path: plan.agentsFile, context: AgentsConfiguration.Context(
                colonyExecutable: plan.executable, builtInAgents: plan.builtInAgents,
                endpoints: endpoints, heartbeatInterval: plan.configuration.broker.heartbeatInterval
            ))
        } catch {
            throw .agents(error)
        }
    }

    /// Starts the agents; then runs every part until SIGTERM or SIGINT and stops them in
    /// reverse order, telling `report` each event as it happens. `started` is called once
    /// the agents are launched.
    public func run(started: @Sendable () async -> Void = {}, report: @escaping @Sendable (Event) -> Void) async throws {
        await supervisor.start(agents.agents)
        var controlOptions = AgentOptions(endpoints: clientEndpoints, heartbeatInterval: plan.configuration.broker.heartbeatInterval,
                                          handlesSignals: false)
        controlOptions.logger = Logger(label: "supervisor").quieter(than: .notice)
        controlOptions.credentials = credentials
        // The supervisor's events (and, once its stream ends, "agents stopped") are told by one
        // task, in order; the other parts say they stopped when their service returns.
        var services: [any Service] = [
            Reported(part: .broker, service: BrokerService(broker), report: report),
            EventReporter(events: supervisor.events, report: report),
            SupervisorService(supervisor),
            Reported(part: .control, service: AgentService(SupervisorControl.agent(for: supervisor), options: controlOptions), report: report),
            Reported(part: .orchestrator, service: orchestrator, report: report),
        ]
        if let controlPlane = try controlPlane(report: report) {
            services.append(Reported(part: .http, service: controlPlane, report: report))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "up"))
        await started()
        try await group.run()
    }
}

extension ColonyNode {
    /// The HTTP API, when enabled: it asks the colony over the bus with the orchestrator's key,
    /// reads the lease from the orchestrator's database, and tells the dashboard's URL once.
    func controlPlane(report: @escaping @Sendable (Event) -> Void) throws -> ControlPlane? {
        let http = plan.configuration.http
        guard http.enabled, let token = httpToken else { return nil }
        let store = orchestrator.store
        let client = ColonyClient(endpoints: clientEndpoints, credentials: credentials)
        let host = http.host.contains(":") ? "[\(http.host)]" : http.host
        let subscriber = Subscriber(endpoints: clientEndpoints, credentials: credentials)
        return ControlPlane(options: ControlPlane.Options(host: http.host, port: http.port, token: token),
                            client: client, subscriber: subscriber, store: store, holder: orchestrator.holder) { port in
            report(.dashboard(url: "http://\(host):\(port)/?token=\(token)"))
        }
    }
}

/// A part of the node that says when it has stopped.
private struct Reported: Service {
    let part: ColonyNode.Part
    let service: any Service
    let report: @Sendable (ColonyNode.Event) -> Void

    func run() async throws {
        defer { report(.stopped(part)) }
        try await service.run()
    }
}

/// Tells each supervisor event until the supervisor finishes its stream (after its last
/// agent stopped), then "agents stopped", then waits for its turn to stop: just before the broker.
private struct EventReporter: Service {
    let events: AsyncStream<SupervisorEvent>
    let report: @Sendable (ColonyNode.Event) -> Void

    func run() async {
        for await event in events { report(.agent(event)) }
        report(.stopped(.agents))
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: nothing left to tell.
        }
    }
}
