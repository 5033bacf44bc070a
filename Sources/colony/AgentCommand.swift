import ArgumentParser
import ColonyAgent
import ColonyWire
import ExampleAgents
import Foundation
import Logging

/// `colony agent …`: run example agents and inspect the broker's directory.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run agents and inspect the agents the broker knows.",
        subcommands: [List.self, Info.self, Run.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List connected agents.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON for scripts.") var json = false
        @Option(help: "Seconds to wait for the broker.") var timeout: Double = 5

        func run() async throws {
            let directory = try await fetchDirectory(global: global, connection: connection, timeout: timeout)
            if json {
                Console.line(prettyJSON(directory.agents))
                return
            }
            guard !directory.agents.isEmpty else {
                Console.line("no agents connected")
                return
            }
            var table = Table("AGENT", "PID", "STATE", "BUSY", "SERVED", "FAILED", "LAST SEEN", "CAPABILITIES")
            for agent in directory.agents {
                table.add(
                    agent.name, agent.pid.map(String.init) ?? "-", agent.state, "\(agent.busy)/\(agent.capacity)",
                    "\(agent.served)", "\(agent.failed)", ago(agent.lastSeenMilliseconds),
                    agent.capabilities.joined(separator: ",")
                )
            }
            Console.line(table.rendered)
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show everything the broker knows about one agent.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The agent's name.") var name: String
        @Flag(help: "Print JSON for scripts.") var json = false
        @Option(help: "Seconds to wait for the broker.") var timeout: Double = 5

        func run() async throws {
            let directory = try await fetchDirectory(global: global, connection: connection, timeout: timeout)
            let matches = directory.agents.filter { $0.name == name }
            guard !matches.isEmpty else {
                let known = Set(directory.agents.map(\.name)).sorted()
                Console.error("error: no agent named '\(name)' is connected" + (known.isEmpty ? "" : " (connected: \(known.joined(separator: ", ")))"))
                throw ExitCode(ExitStatus.noAgent)
            }
            if json {
                Console.line(prettyJSON(matches))
                return
            }
            for (index, agent) in matches.enumerated() {
                if index > 0 { Console.line("") }
                Console.line("""
                agent:         \(agent.name)
                pid:           \(agent.pid.map(String.init) ?? "-")
                identity:      \(agent.identity)
                protocol:      \(agent.dialect)
                state:         \(agent.state) (\(agent.busy) of \(agent.capacity) slots busy)
                served:        \(agent.served) (\(agent.failed) failed)
                joined:        \(formatTimestamp(agent.joinedAtMilliseconds))
                last seen:     \(formatTimestamp(agent.lastSeenMilliseconds)) (\(ago(agent.lastSeenMilliseconds)))
                capabilities:  \(agent.capabilities.joined(separator: ", "))
                """)
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one of the example agents in this process.",
            discussion: "Agents: \(ExampleAgents.names.joined(separator: ", ")). Stops gracefully on SIGINT/SIGTERM."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Which example agent: \(ExampleAgents.names.joined(separator: ", ")).") var name: String
        @Option(help: "Requests it works on at once (default: the agent's own).") var concurrency: Int?
        @Option(help: "Heartbeat interval in milliseconds; must match the broker's.") var heartbeatMs: Int?
        @Option(help: "Seconds in-flight work may take to finish at shutdown.") var grace: Double = 10
        @Flag(help: "Run handlers on the I/O thread (fastest for tiny handlers).") var inlineHandlers = false

        func run() async throws {
            let configuration = try global.loadConfiguration()
            global.bootstrapLogging(configuration)
            ParentWatch.startIfRequested()
            if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
            guard let agent = ExampleAgents.make(name, concurrency: concurrency) else {
                throw ValidationError("unknown agent '\(name)'; known: \(ExampleAgents.names.joined(separator: ", "))")
            }
            let options = AgentOptions(
                endpoints: connection.clientEndpoints(configuration),
                heartbeatInterval: heartbeatMs.map { .milliseconds($0) } ?? configuration.broker.heartbeatInterval,
                liveness: configuration.broker.liveness,
                shutdownGrace: duration(seconds: grace),
                handlersOnIOThread: inlineHandlers,
                logger: Logger(label: "agent")
            )
            try await agent.run(options: options)
        }
    }
}

/// Fetches the broker's directory, turning failures into exit codes.
func fetchDirectory(global: GlobalOptions, connection: ConnectionOptions, timeout: Double) async throws -> Directory {
    let configuration = try global.loadConfiguration()
    global.bootstrapLogging(configuration, defaultLevel: .warning)
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration))
    do {
        return try await client.directory(timeout: duration(seconds: timeout))
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
