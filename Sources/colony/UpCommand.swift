import ArgumentParser
import ColonyConfig
import ColonyCore
import ColonyControlPlane
import ColonyLogging
import ColonyNode
import ColonySupervisor
import ExampleAgents
import Foundation
import Logging

/// `colony up`: the broker, then every agent of configs/agents.yaml under supervision.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the broker, the orchestrator, and supervise the agents of configs/agents.yaml.",
        discussion: """
        Prints what runs where, then one line per agent lifecycle event. Ctrl-C or SIGTERM stops,
        in this order, the orchestrator (ticks stop; attempts in flight get shutdown_grace to
        finish; the rest stays resumable), the agents (SIGTERM, then SIGKILL after their grace
        period) and the broker last, printing "... stopped" for each, and exits 0.
        Agents die with `colony up` even when it is killed with SIGKILL.
        """
    )


    @Option(help: "Agents file (default: configs/agents.yaml).")
    var agents: String = AgentsConfiguration.defaultPath

    @Option(help: "Where agent logs go.")
    var runDirectory: String = ".colony/run"

    @Flag(help: "Run the bus without CURVE: anyone who can reach it may offer, ask, publish and read anything (security.mode: none).")
    var insecure = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: EventConnectionOptions

    func run() async throws {
        ParentWatch.startIfRequested()
        var configuration = try global.loadConfiguration()
        global.bootstrapLogging(configuration)
        var agents = agents, runDirectory = runDirectory
        if let root = configuration.projectRoot {
            // Started from a folder inside the project: run from its root, as the agents'
            // commands and working directories in agents.yaml are relative to it.
            let here = FileManager.default.currentDirectoryPath
            func absolute(_ path: String, given: Bool) -> String {
                path.hasPrefix("/") ? path : URL(fileURLWithPath: given ? here : root).appendingPathComponent(path).standardizedFileURL.path
            }
            agents = absolute(agents, given: agents != AgentsConfiguration.defaultPath)
            runDirectory = absolute(runDirectory, given: runDirectory != ".colony/run")
            guard FileManager.default.changeCurrentDirectoryPath(root) else {
                Console.error("error: cannot enter the project root \(root)")
                throw ExitCode(ExitStatus.usage)
            }
        }
        if insecure { configuration.security.mode = .none }
        // Before anything records a metric: /metrics renders this registry.
        if configuration.http.enabled { _ = ColonyMetrics.registry }
        let node: ColonyNode
        do {
            node = try await ColonyNode.prepare(ColonyNode.Plan(
                configuration: configuration, brokerEndpoints: connection.endpoints(configuration),
                clientEndpoints: connection.clientEndpoints(configuration), agentsFile: agents, runDirectory: runDirectory,
                executable: Self.executablePath, builtInAgents: ExampleAgents.names
            ))
        } catch {
            if case .agents(let problems) = error { Console.problems(problems) } else { Console.error("error: \(error)") }
            if case .broker = error { throw ExitCode(ExitStatus.unreachable) }
            throw ExitCode(ExitStatus.usage)
        }
        Console.line("colony up")
        Console.line("  broker      \(node.broker.endpoints.requests)")
        Console.line("  events in   \(node.broker.endpoints.publish)")
        Console.line("  events out  \(node.broker.endpoints.subscribe)")
        Console.line("  agents      \(node.agents.source ?? agents) (\(node.agents.agents.count) agents)")
        Console.line("  logs        \(node.logDirectory.path)")
        Console.line(node.security.mode == .curve
            ? "  security    curve (keys in \(node.security.keyDirectory); colony keys list)"
            : "  security    NONE: anyone who can reach the broker may offer, ask, publish and read anything")
        Console.line("  database    \(node.orchestrator.database)")
        Console.line("  workflows   \(node.orchestrator.workflows.joined(separator: ", "))")
        // After the banner, one line per lifecycle event (`colony agent list` has the table).
        try await node.run(report: { event in
            Console.line("\(Timestamp.iso8601()) \(event)")
        })
        Logger(label: "up").info("colony stopped")
    }

    /// This executable, to run built-in agents as `colony agent run NAME`.
    static var executablePath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}
