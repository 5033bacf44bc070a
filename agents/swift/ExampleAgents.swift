import ColonyAgent

/// The example agents built into `colony`, runnable with `colony agent run NAME`.
public enum ExampleAgents {
    /// Each example by name, made with the given concurrency (nil = its default).
    public static func make(_ name: String, concurrency: Int?) -> Agent? {
        switch name {
        case "echo": return concurrency.map { EchoAgent.make(concurrency: $0) } ?? EchoAgent.make()
        case "math": return concurrency.map { MathAgent.make(concurrency: $0) } ?? MathAgent.make()
        case "flaky": return concurrency.map { FlakyAgent.make(concurrency: $0) } ?? FlakyAgent.make()
        default: return nil
        }
    }

    /// The names `make` knows.
    public static let names = ["echo", "math", "flaky"]
}
