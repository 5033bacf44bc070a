/// What a request for a capability no agent has offered since the broker started does.
public enum UnofferedCapabilities: Sendable, Hashable {
    /// It waits in the broker's queue until an agent offers it or it expires (MDP's way).
    case wait
    /// It is answered `no_agent` at once, naming the nearest offered capability (once the
    /// broker has been up long enough for reconnecting agents to be back).
    case fail
}
