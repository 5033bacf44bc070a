import ServiceLifecycle

/// An agent as a `Service`: it serves until the group shuts down gracefully (or the task is
/// cancelled), then stops taking work and lets what runs finish within `shutdownGrace`.
public struct AgentService: Service {
    public let agent: Agent
    public let options: AgentOptions

    public init(_ agent: Agent, options: AgentOptions) {
        self.agent = agent
        self.options = options
    }

    public func run() async throws {
        let runtime = AgentRuntime(agent: agent, options: options)
        try await cancelWhenGracefulShutdown { try await runtime.run() }
    }
}
