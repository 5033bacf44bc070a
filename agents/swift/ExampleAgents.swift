import ColonyAgent
import ColonyWire

/// The example agents built into `colony`, runnable with `colony agent run NAME`.
public enum ExampleAgents {
    /// Each example by name, made with the given concurrency (nil = its default); agents that
    /// call other agents use `endpoints`.
    public static func make(_ name: String, concurrency: Int?, endpoints: BrokerEndpoints) -> Agent? {
        switch name {
        case "echo": return concurrency.map { EchoAgent.make(concurrency: $0) } ?? EchoAgent.make()
        case "math": return concurrency.map { MathAgent.make(concurrency: $0) } ?? MathAgent.make()
        case "flaky": return concurrency.map { FlakyAgent.make(concurrency: $0) } ?? FlakyAgent.make()
        case "audit": return AuditAgent.make(concurrency: concurrency ?? 16, endpoints: endpoints)
        case "voter": return concurrency.map { VoterAgent.make(concurrency: $0) } ?? VoterAgent.make()
        case "bidder": return concurrency.map { BidderAgent.make(concurrency: $0) } ?? BidderAgent.make()
        default: return nil
        }
    }

    /// The names `make` knows.
    public static let names = ["echo", "math", "flaky", "audit", "voter", "bidder"]
}
