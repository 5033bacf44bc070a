import ColonyCore
import ColonySupervisor
import ColonyWire
import ColonyYAML
import Foundation

/// The contents of `configs/agents.yaml`: the agents `colony up` starts and supervises.
public struct AgentsConfiguration: Sendable {
    public var agents: [AgentSpec]
    public var source: String?
    /// The capability patterns each agent (by name) declares it offers (`offers:`); on a secured
    /// bus its key may offer only those. Agents without `offers` may offer any name that is not
    /// reserved.
    public var offers: [String: [String]] = [:]

    /// The default location, relative to the working directory.
    public static let defaultPath = "configs/agents.yaml"

    /// How many replicas each named group has (`groups:` of every entry, times its
    /// replicas): the electorate a consensus in that group declares when nothing else does.
    public var groupSizes: [GroupName: Int] {
        var sizes: [GroupName: Int] = [:]
        for agent in agents {
            for group in agent.groups { sizes[GroupName(group), default: 0] += agent.replicas }
        }
        return sizes
    }

    /// How `run: NAME` entries become command lines, and what `{endpoint}` means.
    public struct Context: Sendable {
        /// The `colony` executable that runs built-in agents.
        public var colonyExecutable: String
        /// Agents `run:` may name (`colony agent run NAME`).
        public var builtInAgents: [String]
        /// The broker's endpoints, substituted for `{endpoint}`, `{publish_endpoint}`, `{subscribe_endpoint}`.
        public var endpoints: BrokerEndpoints
        /// The broker's heartbeat interval, passed to built-in agents.
        public var heartbeatInterval: Duration

        public init(colonyExecutable: String, builtInAgents: [String], endpoints: BrokerEndpoints, heartbeatInterval: Duration) {
            self.colonyExecutable = colonyExecutable
            self.builtInAgents = builtInAgents
            self.endpoints = endpoints
            self.heartbeatInterval = heartbeatInterval
        }
    }

    static let agentKeys = [
        "name", "run", "command", "args", "working_directory", "environment", "replicas", "concurrency",
        "restart", "backoff", "crash_loop", "grace_period", "output", "log_max_bytes", "groups", "offers",
    ]

    /// Loads and validates a file; every problem names the file and line.
    public static func load(path: String, context: Context) throws(ConfigError) -> AgentsConfiguration {
        try parse(YAMLLimits.readText(path: path, what: "agents file"), file: path, context: context)
    }

    /// Parses and validates agents configuration text.
    public static func parse(_ text: String, file: String, context: Context) throws(ConfigError) -> AgentsConfiguration {
        let root = try YAMLMapping.parse(text, file: file)
        try root.rejectUnknownKeys(["agents"], in: "the agents file")
        var specs: [AgentSpec] = []
        var seen: [String: Int] = [:]
        var offers: [String: [String]] = [:]
        var problems: [ConfigError] = []
        // Every entry is checked, so one pass reports every problem of the file.
        for entry in try root.mappings("agents") ?? [] {
            do throws(ConfigError) {
                let spec = try agent(entry, context: context)
                if let patterns = try entry.strings("offers") {
                    guard !patterns.contains(where: { $0.hasPrefix("colony.") || $0.hasPrefix("mmi.") }) else {
                        throw ConfigError(file: file, line: entry.line(of: "offers"), message: "agent '\(spec.name)' may not offer colony.* or mmi.* capabilities")
                    }
                    offers[spec.name] = patterns
                }
                if let earlier = seen[spec.name] {
                    throw ConfigError(file: file, line: entry.line(of: "name"), message: "agent '\(spec.name)' is declared twice", hint: "first at line \(earlier)")
                }
                seen[spec.name] = entry.line(of: "name") ?? 0
                specs.append(spec)
            } catch {
                problems.append(contentsOf: error.all)
            }
        }
        if let problem = ConfigError(all: problems) { throw problem }
        var configuration = AgentsConfiguration(agents: specs, source: file)
        configuration.offers = offers
        return configuration
    }

    private static func agent(_ entry: YAMLMapping, context: Context) throws(ConfigError) -> AgentSpec {
        let file = entry.file
        try entry.rejectUnknownKeys(agentKeys, in: "an agent")
        guard let name = try entry.string("name"), !name.isEmpty else {
            throw ConfigError(file: file, line: entry.line, message: "every agent needs a 'name'")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw ConfigError(file: file, line: entry.line(of: "name"), message: "agent name '\(name)' may contain only letters, digits, '.', '_' and '-'")
        }
        let run = try entry.string("run")
        var command = try entry.strings("command")
        switch (run, command) {
        case (nil, nil):
            throw ConfigError(file: file, line: entry.line(of: "name"), message: "agent '\(name)' needs 'run' (a built-in agent) or 'command' (any command line)")
        case (.some, .some):
            throw ConfigError(file: file, line: entry.line(of: "command"), message: "agent '\(name)' has both 'run' and 'command'; keep one")
        case (.some(let builtIn), nil):
            guard context.builtInAgents.contains(builtIn) else {
                throw ConfigError(
                    file: file, line: entry.line(of: "run"), message: "'\(builtIn)' is not a built-in agent",
                    hint: didYouMean(builtIn, in: context.builtInAgents)
                        ?? "built-in agents: \(context.builtInAgents.joined(separator: ", "))"
                )
            }
            var line = [context.colonyExecutable, "agent", "run", builtIn,
                        "--endpoint", context.endpoints.requests,
                        "--publish-endpoint", context.endpoints.publish,
                        "--subscribe-endpoint", context.endpoints.subscribe,
                        "--heartbeat-ms", "\(Int(context.heartbeatInterval.milliseconds))"]
            if let concurrency = try entry.integer("concurrency", in: 1...100_000) { line += ["--concurrency", "\(concurrency)"] }
            command = line
        case (nil, .some(let given)):
            guard !given.isEmpty, !given[0].isEmpty else {
                throw ConfigError(file: file, line: entry.line(of: "command"), message: "agent '\(name)' has an empty 'command'")
            }
            if entry.line(of: "concurrency") != nil {
                throw ConfigError(file: file, line: entry.line(of: "concurrency"), message: "'concurrency' applies to built-in agents ('run'); pass it in 'args' for a command")
            }
            command = given
        }
        command! += try entry.strings("args") ?? []
        let resolved = command!.map { substitute($0, context.endpoints) }
        let workingDirectory = try entry.string("working_directory")
        if run == nil {
            try checkExecutable(resolved[0], workingDirectory: workingDirectory, file: file, line: entry.line(of: "command"))
        }

        var spec = AgentSpec(name: name, command: resolved, workingDirectory: workingDirectory)
        spec.environment = try Self.resolveSecrets(entry.stringMap("environment") ?? [:], file: file,
                                                   line: entry.line(of: "environment") ?? entry.line ?? 0)
        // Named groups reach the agent through the environment its SDK reads.
        if let groups = try entry.strings("groups"), !groups.isEmpty {
            spec.groups = groups
            spec.environment["COLONY_AGENT_GROUPS"] = groups.joined(separator: ",")
        }
        spec.replicas = try entry.integer("replicas", in: 1...Supervisor.maxReplicas) ?? 1
        if let restart = try entry.choice("restart", from: AgentSpec.RestartPolicy.allCases.map(\.rawValue)) {
            spec.restart = AgentSpec.RestartPolicy(rawValue: restart)!
        }
        if let output = try entry.choice("output", from: AgentSpec.Output.allCases.map(\.rawValue)) {
            spec.output = AgentSpec.Output(rawValue: output)!
        }
        if let bytes = try entry.integer("log_max_bytes", in: Int(AgentSpec.smallestLogMaximum)...(1 << 40)) { spec.logMaximumBytes = Int64(bytes) }
        if let grace = try entry.duration("grace_period", allowsZero: true) { spec.gracePeriod = grace }
        if let backoff = try entry.mapping("backoff") {
            try backoff.rejectUnknownKeys(["initial", "max", "multiplier"], in: "'backoff'")
            spec.backoff.initial = try backoff.duration("initial", allowsZero: true) ?? spec.backoff.initial
            spec.backoff.max = try backoff.duration("max", allowsZero: true) ?? spec.backoff.max
            spec.backoff.multiplier = try backoff.number("multiplier", in: 1...100) ?? spec.backoff.multiplier
            guard spec.backoff.initial <= spec.backoff.max else {
                throw ConfigError(file: file, line: backoff.line(of: "initial") ?? backoff.line, message: "backoff 'initial' is longer than 'max'")
            }
        }
        if let crashLoop = try entry.mapping("crash_loop") {
            try crashLoop.rejectUnknownKeys(["restarts", "window"], in: "'crash_loop'")
            spec.crashLoop.restarts = try crashLoop.integer("restarts", in: 1...10_000) ?? spec.crashLoop.restarts
            spec.crashLoop.window = try crashLoop.duration("window") ?? spec.crashLoop.window
        }
        return spec
    }

    static func substitute(_ argument: String, _ endpoints: BrokerEndpoints) -> String {
        argument
            .replacing("{endpoint}", with: endpoints.requests)
            .replacing("{publish_endpoint}", with: endpoints.publish)
            .replacing("{subscribe_endpoint}", with: endpoints.subscribe)
    }

    /// The program must exist: a path (relative to the working directory) that is executable,
    /// or a name found in PATH.
    static func checkExecutable(_ program: String, workingDirectory: String?, file: String, line: Int?) throws(ConfigError) {
        let manager = FileManager.default
        if program.contains("/") {
            let path = program.hasPrefix("/") || workingDirectory == nil ? program : "\(workingDirectory!)/\(program)"
            guard manager.isExecutableFile(atPath: path) else {
                throw ConfigError(file: file, line: line, message: "command '\(program)' is not an executable file")
            }
            return
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard searchPath.split(separator: ":").contains(where: { manager.isExecutableFile(atPath: "\($0)/\(program)") }) else {
            throw ConfigError(file: file, line: line, message: "command '\(program)' was not found in PATH")
        }
    }

    /// Environment values that name where a secret is instead of holding it: `${env:NAME}` (the
    /// variable of `colony up`'s own environment) and `${file:PATH}` (the file's contents, one
    /// trailing newline dropped). The YAML then never holds the secret itself.
    static func resolveSecrets(_ environment: [String: String], file: String, line: Int,
                               processEnvironment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> [String: String] {
        var resolved = environment
        for (name, value) in environment where value.hasPrefix("${") && value.hasSuffix("}") {
            let reference = value.dropFirst(2).dropLast()
            if reference.hasPrefix("env:") {
                let variable = String(reference.dropFirst(4))
                guard let found = processEnvironment[variable] else {
                    throw ConfigError(file: file, line: line, message: "environment '\(name)' comes from ${env:\(variable)}, which is not set")
                }
                resolved[name] = found
            } else if reference.hasPrefix("file:") {
                let path = String(reference.dropFirst(5))
                do {
                    var contents = try BoundedRead.text(of: path, what: "file \(path)")
                    if contents.hasSuffix("\n") { contents.removeLast() }
                    resolved[name] = contents
                } catch {
                    throw ConfigError(file: file, line: line, message: "environment '\(name)' comes from ${file:\(path)}: \(error.message)")
                }
            }
        }
        return resolved
    }
}
