/// What a key may do on the bus. The broker enforces it on every message (see `AccessPolicy`).
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// The orchestrator: offers `colony.*`, tells the failure gate (`mmi.gate.*`), publishes
    /// `workflow.*` and `coordination.*`.
    case orchestrator
    /// An agent: offers its own capabilities (never `colony.*` or `mmi.*`), publishes its own
    /// topics, makes requests (agents call agents).
    case agent
    /// A person at the command line (or a tool acting for one): requests anything, starts and
    /// cancels runs, reads everything, steers the supervisor.
    case `operator`
    /// A program that only asks: requests capabilities (optionally limited by pattern) and
    /// subscribes to events.
    case client
}
