import ArgumentParser
import ColonyAgent
import ColonyBroker
import ColonyConfig
import ColonyOrchestrator
import ColonyLogging
import ColonySupervisor
import ColonyWorkflow
import ColonyWire
import ExampleAgents
import Foundation
import Logging

/// `colony up`: the broker, then every agent of configs/agents.yaml under supervision.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the broker, the orchestrator, and supervise the agents of configs/agents.yaml.",
        discussion: """
        Prints what runs where, then one line per agent lifecycle event. Ctrl-C or SIGTERM stops
        the orchestrator (runs stay resumable), agents (SIGTERM, then SIGKILL after their grace
        period) and then the broker, and exits 0.
        Agents die with `colony up` even when it is killed with SIGKILL.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Agents file (default: configs/agents.yaml).")
    var agents: String = AgentsConfiguration.defaultPath

    @Option(help: "Where agent logs go.")
    var runDirectory: String = ".colony/run"

    func run() async throws {
        let configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        var brokerConfiguration = configuration.broker
        brokerConfiguration.endpoints = connection.endpoints(configuration)
        let clientEndpoints = connection.clientEndpoints(configuration)

        // Everything is validated before anything starts.
        let agentsFile: AgentsConfiguration
        do {
            agentsFile = try AgentsConfiguration.load(path: agents, context: AgentsConfiguration.Context(
                colonyExecutable: Self.executablePath, builtInAgents: ExampleAgents.names,
                endpoints: clientEndpoints, heartbeatInterval: brokerConfiguration.heartbeatInterval
            ))
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let workflows: WorkflowCatalog
        do {
            workflows = try OrchestratorHost.checkedCatalog(configuration.orchestrator)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.usage)
        }

        let logger = Logger(label: "up")
        let broker: BrokerHandle
        do {
            broker = try Broker.start(brokerConfiguration, logger: Logger(label: "broker"))
        } catch {
            Console.error("error: cannot start the broker on \(brokerConfiguration.endpoints.requests): \(error)")
            throw ExitCode(ExitStatus.unreachable)
        }
        let logs = URL(fileURLWithPath: runDirectory).appendingPathComponent("logs")
        let supervisor = try Supervisor(logDirectory: logs, environment: [
            "COLONY_ENDPOINT": clientEndpoints.requests,
            "COLONY_PUBLISH_ENDPOINT": clientEndpoints.publish,
            "COLONY_SUBSCRIBE_ENDPOINT": clientEndpoints.subscribe,
        ])
        let (signals, signalled) = AsyncStream<Void>.makeStream()
        let stopper = SignalStopper { signalled.yield() }

        Console.line("colony up")
        Console.line("  broker      \(broker.endpoints.requests)")
        Console.line("  events in   \(broker.endpoints.publish)")
        Console.line("  events out  \(broker.endpoints.subscribe)")
        Console.line("  agents      \(agentsFile.source ?? agents) (\(agentsFile.agents.count) agents)")
        Console.line("  logs        \(logs.path)")
        let reporter = Task {
            for await event in supervisor.events {
                Console.line("\(Timestamp.iso8601()) \(event)")
            }
        }
        await supervisor.start(agentsFile.agents)
        var controlOptions = AgentOptions(endpoints: clientEndpoints, heartbeatInterval: brokerConfiguration.heartbeatInterval, handlesSignals: false)
        controlOptions.logger = Logger(label: "supervisor")
        let control = Task { [controlOptions] in
            try await SupervisorControl.agent(for: supervisor).run(options: controlOptions)
        }
        let orchestrator: OrchestratorHost
        do {
            orchestrator = try OrchestratorHost(
                configuration.orchestrator.declaring(agentsFile.groupSizes), catalog: workflows, endpoints: clientEndpoints,
                heartbeatInterval: brokerConfiguration.heartbeatInterval, gateTimeToLive: brokerConfiguration.failedRunTimeToLive,
                logger: Logger(label: "orchestrator")
            )
        } catch {
            Console.error("error: cannot start the orchestrator: \(error)")
            control.cancel()
            await supervisor.shutDown()
            broker.stop()
            throw ExitCode(ExitStatus.usage)
        }
        Console.line("  database    \(orchestrator.database)")
        Console.line("  workflows   \(orchestrator.workflows.joined(separator: ", "))")
        printTable(await supervisor.status())

        for await _ in signals { break }
        Console.line("\(Timestamp.iso8601()) stopping: orchestrator, agents, then the broker")
        await orchestrator.stop()
        control.cancel()
        _ = await control.result
        await supervisor.shutDown()
        await reporter.value
        broker.stop()
        await broker.waitUntilStopped()
        logger.info("colony stopped")
        withExtendedLifetime(stopper) {}
    }

    private func printTable(_ statuses: [AgentStatus]) {
        var table = Table("AGENT", "REPLICA", "PID", "STATE", "COMMAND")
        for status in statuses {
            table.add(status.name, "\(status.replica)", status.pid.map(String.init) ?? "-", status.state.rawValue,
                      status.command.joined(separator: " "))
        }
        Console.line(table.rendered)
    }

    /// This executable, to run built-in agents as `colony agent run NAME`.
    static var executablePath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}
