import ColonyCore
import ArgumentParser
import ColonyAgent
import ColonyNode
import ColonySupervisor
import ColonyWire
import ExampleAgents
import Foundation
import Logging

/// `colony agent …`: run example agents and inspect the broker's directory.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run agents and inspect the agents the broker knows.",
        subcommands: [List.self, Info.self, Run.self, Spawn.self, Stop.self, Restart.self, Logs.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List agents: one row each, what the bus sees and, under `colony up`, what the supervisor sees.",
            discussion: "Colony's own services (the orchestrator and its colony.* capabilities) are left out unless --all."
        )

        @Flag(help: "Print JSON for scripts.") var json = false
        @Flag(help: "Also list Colony's own services and colony.* capabilities.") var all = false
        @Option(help: "How long to wait for the broker, e.g. 5s.", transform: DurationOption.parse) var timeout: DurationOption = .seconds(5)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let view = try await fetchView(global: global, connection: connection, timeout: timeout.duration)
            if json {
                Console.line(prettyJSON(view))
                return
            }
            let table = rows(view)
            guard !table.rows.isEmpty else {
                Console.line("no agents connected")
                return
            }
            Console.line(table.rendered)
        }

        /// One row per connected agent (joined with its supervised replica by pid), then one
        /// per supervised replica that is not connected (starting, restarting, failed).
        func rows(_ view: AgentView) -> Table {
            var table = Table("AGENT", "PID", "STATE", "BUSY", "SERVED", "FAILED", "UPTIME", "RESTARTS", "CAPABILITIES")
            var shown = Set<Int32>()
            for agent in view.agents {
                let capabilities = all ? agent.capabilities : agent.capabilities.filter { !$0.hasPrefix("colony.") }
                guard all || !capabilities.isEmpty else { continue }
                let replica = view.supervised.first { status in status.pid.map(Int.init) == agent.pid && agent.pid != nil }
                if let pid = replica?.pid { shown.insert(pid) }
                table.add(agent.name, agent.pid.map(String.init) ?? "-", agent.state, "\(agent.busy)/\(agent.capacity)", "\(agent.served)",
                          "\(agent.failed)", uptime(agent.joinedAtMilliseconds), replica.map { "\($0.restarts)" } ?? "-",
                          capabilities.joined(separator: ","))
            }
            for status in view.supervised where !(status.pid.map(shown.contains) ?? false) {
                let state = status.lastExit.map { "\(status.state.rawValue) (\($0))" } ?? status.state.rawValue
                table.add("\(status.name)[\(status.replica)]", status.pid.map(String.init) ?? "-", state, "-", "-", "-",
                          uptime(status.startedAtMilliseconds), "\(status.restarts)", "-")
            }
            return table
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show everything the broker knows about one agent.")

        @Argument(help: "The agent's name.") var name: String
        @Flag(help: "Print JSON for scripts.") var json = false
        @Option(help: "How long to wait for the broker, e.g. 5s.", transform: DurationOption.parse) var timeout: DurationOption = .seconds(5)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let view = try await fetchView(global: global, connection: connection, timeout: timeout.duration)
            let matches = view.agents.filter { $0.name == name }
            let supervised = view.supervised.filter { $0.name == name }
            guard !matches.isEmpty || !supervised.isEmpty else {
                let known = Set(view.agents.map(\.name) + view.supervised.map(\.name)).sorted()
                let near = didYouMean(name, in: known).map { "\($0) " } ?? ""
                Console.error("error: no agent named '\(name)' is connected" + (known.isEmpty ? "" : " (\(near)connected: \(known.joined(separator: ", ")))"))
                throw ExitCode(ExitStatus.usage)
            }
            if json {
                Console.line(prettyJSON(AgentView(agents: matches, supervised: supervised)))
                return
            }
            for status in supervised {
                Console.line("""
                replica \(status.replica):     \(status.state.rawValue), pid \(status.pid.map(String.init) ?? "-"), up \(uptime(status.startedAtMilliseconds)), \(status.restarts) restarts, last exit: \(status.lastExit?.description ?? "-")
                  log:         \(status.logFile)
                """)
            }
            if !supervised.isEmpty { Console.line("") }
            for (index, agent) in matches.enumerated() {
                if index > 0 { Console.line("") }
                Console.line("""
                agent:         \(agent.name)
                pid:           \(agent.pid.map(String.init) ?? "-")
                identity:      \(agent.identity)
                protocol:      \(agent.dialect)
                state:         \(agent.state) (\(agent.busy) of \(agent.capacity) slots busy)
                served:        \(agent.served) (\(agent.failed) failed)
                gate skipped:  \(agent.skipped.isEmpty ? "0" : agent.skipped.sorted { $0.key < $1.key }.map { "\($0.value) for \($0.key) runs" }.joined(separator: ", "))
                joined:        \(timestamp(milliseconds: agent.joinedAtMilliseconds))
                last seen:     \(timestamp(milliseconds: agent.lastSeenMilliseconds)) (\(ago(agent.lastSeenMilliseconds)))
                capabilities:  \(agent.capabilities.joined(separator: ", "))
                """)
                for capability in agent.capabilities {
                    guard let description = agent.descriptions?[capability] else { continue }
                    Console.line("  \(capability)")
                    if let summary = description.summary { Console.line("    \(summary)") }
                    if let sketch = description.inputSketch { Console.line("    input: \(sketch)") }
                }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one of the example agents in this process.",
            discussion: "Agents: \(ExampleAgents.names.joined(separator: ", ")). Stops gracefully on SIGINT/SIGTERM."
        )

        @Argument(help: "Which example agent: \(ExampleAgents.names.joined(separator: ", ")).") var name: String
        @Option(help: "Requests it works on at once (default: the agent's own).") var concurrency: Int?
        @Option(help: "Heartbeat interval, e.g. 2500ms; must match the broker's (default from the configuration).", transform: DurationOption.parse) var heartbeat: DurationOption?
        @Option(help: ArgumentHelp("Heartbeat interval in milliseconds (use --heartbeat).", visibility: .hidden)) var heartbeatMs: Int?
        @Option(help: "How long in-flight work may take to finish at shutdown, e.g. 10s.", transform: DurationOption.parse) var grace: DurationOption = .seconds(10)
        @Flag(help: "Run handlers on the I/O thread (fastest for tiny handlers).") var inlineHandlers = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: EventConnectionOptions

        func validate() throws {
            try requireOption("concurrency", concurrency, in: 1...10_000)
            _ = try chosenDuration("heartbeat", heartbeat, milliseconds: heartbeatMs, in: heartbeatRange)
        }

        func run() async throws {
            let configuration = try global.loadConfiguration()
            global.bootstrapLogging(configuration)
            ParentWatch.startIfRequested()
            guard let agent = ExampleAgents.make(name, concurrency: concurrency, endpoints: connection.clientEndpoints(configuration)) else {
                throw ValidationError("unknown agent '\(name)'; known: \(ExampleAgents.names.joined(separator: ", "))")
            }
            let options = AgentOptions(
                endpoints: connection.clientEndpoints(configuration),
                heartbeatInterval: try chosenDuration("heartbeat", heartbeat, milliseconds: heartbeatMs, in: heartbeatRange) ?? configuration.broker.heartbeatInterval,
                liveness: configuration.broker.liveness,
                shutdownGrace: grace.duration,
                handlersOnIOThread: inlineHandlers,
                logger: Logger(label: "agent")
            )
            try await agent.run(options: options)
        }
    }

    struct Spawn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start replicas of an agent configured in a running `colony up`.")
        @OptionGroup var target: SupervisedAgent
        @Option(help: "How many replicas should run (default: as configured).") var replicas: Int?

        func run() async throws {
            try requireOption("replicas", replicas, in: 1...Supervisor.maxReplicas)
            try await target.steer(SupervisorControl.spawn, replicas: replicas)
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every replica of an agent (SIGTERM, then SIGKILL after its grace period).")
        @OptionGroup var target: SupervisedAgent

        func run() async throws {
            try await target.steer(SupervisorControl.stop)
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart every replica of an agent, one after the other.")
        @OptionGroup var target: SupervisedAgent

        func run() async throws {
            try await target.steer(SupervisorControl.restart)
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an agent's captured output (all replicas).")
        @OptionGroup var target: SupervisedAgent
        @Flag(name: .shortAndLong, help: "Keep printing new output until interrupted.") var follow = false
        @Option(help: "Print only the last N lines of each log first.") var tail: Int?

        func validate() throws {
            if let tail, tail < 0 { throw ValidationError("--tail takes a number of lines, 0 or more; got \(tail)") }
        }

        func run() async throws {
            let view = try await fetchView(global: target.global, connection: target.connection, timeout: .seconds(5))
            let files = view.supervised.filter { $0.name == target.name }.map(\.logFile)
            guard !files.isEmpty else {
                guard !view.supervised.isEmpty else {
                    Console.error("error: no `colony up` supervises agents on this bus, so there are no logs to show")
                    throw ExitCode(ExitStatus.noAgent)
                }
                let known = Set(view.supervised.map(\.name)).sorted()
                let near = didYouMean(target.name, in: known).map { "\($0) " } ?? ""
                Console.error("error: no supervised agent named '\(target.name)' (\(near)known: \(known.joined(separator: ", ")))")
                throw ExitCode(ExitStatus.usage)
            }
            try await LogFollower(paths: files, prefix: files.count > 1, tail: tail).run(follow: follow)
        }
    }
}

/// The arguments of the commands about one supervised agent.
struct SupervisedAgent: ParsableArguments {
    @Argument(help: "The agent's name in agents.yaml.") var name: String
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    /// Sends a supervisor operation for this agent and prints its replicas afterwards.
    func steer(_ capability: String, replicas: Int? = nil) async throws {
        global.bootstrapLogging(try global.loadConfiguration(), defaultLevel: .warning)
        let answer = try await ask(capability, SupervisorControl.Target(name: name, replicas: replicas), as: SupervisorControl.Answer.self,
                                   service: "`colony up`", usageCodes: [SupervisorControl.Codes.unknownAgent, SupervisorControl.Codes.refused],
                                   global: global, connection: connection, timeout: .seconds(60))
        var table = Table("AGENT", "REPLICA", "PID", "STATE")
        for status in answer.agents {
            table.add(status.name, "\(status.replica)", status.pid.map(String.init) ?? "-", status.state.rawValue)
        }
        Console.line(table.rendered)
    }
}

/// What `colony agent list/info` show: the broker's directory plus, when a `colony up` is
/// running, its supervisor's view of each replica.
struct AgentView: Encodable {
    var agents: [AgentRecord]
    var supervised: [AgentStatus]
}

/// Fetches the directory and, if a supervisor answers, its status.
func fetchView(global: GlobalOptions, connection: some BrokerConnection, timeout: Duration) async throws -> AgentView {
    let directory = try await fetchDirectory(global: global, connection: connection, timeout: timeout)
    let configuration = try global.loadConfiguration()
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration))
    let answer = try? await client.request(SupervisorControl.status, Empty(), as: SupervisorControl.Answer.self, timeout: .milliseconds(500))
    return AgentView(agents: directory.agents, supervised: answer?.agents ?? [])
}

/// "5m" style uptime from a start time.
func uptime(_ startedAtMilliseconds: UInt64?) -> String {
    guard let startedAtMilliseconds else { return "-" }
    return ago(startedAtMilliseconds).replacingOccurrences(of: " ago", with: "")
}

/// Fetches the broker's directory, turning failures into exit codes.
func fetchDirectory(global: GlobalOptions, connection: some BrokerConnection, timeout: Duration) async throws -> Directory {
    let configuration = try global.loadConfiguration()
    global.bootstrapLogging(configuration, defaultLevel: .warning)
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration))
    do {
        return try await client.directory(timeout: timeout)
    } catch {
        throw report(error)
    }
}

/// "3s ago" style age of a wall-clock timestamp.
func ago(_ milliseconds: UInt64) -> String {
    let now = WallClock.nowMilliseconds()
    let elapsed = now > milliseconds ? Double(now - milliseconds) / 1000 : 0
    if elapsed < 60 { return "\(Int(elapsed))s ago" }
    if elapsed < 3600 { return "\(Int(elapsed / 60))m ago" }
    return "\(Int(elapsed / 3600))h ago"
}
