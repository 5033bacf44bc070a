import ColonyCore
import ColonyAgent
import ColonySupervisor
import ColonyWire

/// The bus interface of a running `colony up`: capabilities that let `colony agent …`
/// commands in any shell inspect and steer its supervisor.
public enum SupervisorControl {
    public static let status = "colony.supervisor.status"
    public static let spawn = "colony.supervisor.spawn"
    public static let stop = "colony.supervisor.stop"
    public static let restart = "colony.supervisor.restart"
    /// The error codes its refusals carry.
    public enum Codes {
        /// No agent of that name in agents.yaml (a usage error: exit 2).
        public static let unknownAgent = "unknown_agent"
        /// Anything else it refuses (a replica count out of range).
        public static let refused = "supervisor_refused"
    }

    /// Which agent, and for spawn how many replicas.
    public struct Target: Codable, Sendable {
        public var name: String
        public var replicas: Int?

        public init(name: String, replicas: Int? = nil) {
            self.name = name
            self.replicas = replicas
        }
    }

    /// The supervisor's agents after an operation.
    public struct Answer: Codable, Sendable {
        public var agents: [AgentStatus]
    }

    /// An agent serving the supervisor capabilities.
    public static func agent(for supervisor: Supervisor) -> Agent {
        var agent = Agent(name: "colony-up", concurrency: 8)
        agent.capability(status) { (_: Empty, _) in Answer(agents: await supervisor.status()) }
        agent.capability(spawn) { (target: Target, _) in
            try await mapped { () async throws(SupervisorError) in try await supervisor.spawn(target.name, replicas: target.replicas) }
            return Answer(agents: await supervisor.status().filter { $0.name == target.name })
        }
        agent.capability(stop) { (target: Target, _) in
            try await mapped { () async throws(SupervisorError) in try await supervisor.stop(target.name) }
            return Answer(agents: await supervisor.status().filter { $0.name == target.name })
        }
        agent.capability(restart) { (target: Target, _) in
            try await mapped { () async throws(SupervisorError) in try await supervisor.restart(target.name) }
            return Answer(agents: await supervisor.status().filter { $0.name == target.name })
        }
        return agent
    }

    /// Runs `body`, turning supervisor refusals into wire errors with their own code.
    private static func mapped(_ body: () async throws(SupervisorError) -> Void) async throws {
        do {
            try await body()
        } catch .unknownAgent(let name, let known) {
            throw WireError(ErrorCode(Codes.unknownAgent), SupervisorError.unknownAgent(name, known: known).description)
        } catch {
            throw WireError(ErrorCode(Codes.refused), error.description)
        }
    }
}
