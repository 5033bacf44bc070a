import ColonyCore
import ColonyAgent
import ColonyWire

/// `flaky`: a dependency that fails transiently, to show retries. `flaky.fetch` fails its
/// first `fail_attempts` attempts of a step (the attempt number comes with the request)
/// with the retryable code `upstream_unavailable`, then answers.
public enum FlakyAgent {
    public struct Fetch: Codable, Sendable {
        /// How many attempts fail before one succeeds (default 2).
        public var failAttempts: Int?
        /// Echoed back on success.
        public var item: String?

        enum CodingKeys: String, CodingKey {
            case failAttempts = "fail_attempts"
            case item
        }
    }

    public struct Fetched: Codable, Sendable {
        public var item: String
        /// The attempt that succeeded.
        public var attempt: Int
    }

    public static let unavailable = ErrorCode("upstream_unavailable")

    public static func make(concurrency: Int = 16) -> Agent {
        var agent = Agent(name: "flaky", concurrency: concurrency)
        agent.capability("flaky.fetch") { (request: Fetch, context) in
            let attempt = Int(context.metadata.attempt ?? 1)
            let failing = request.failAttempts ?? 2
            if attempt <= failing {
                throw WireError(unavailable, "upstream unavailable (attempt \(attempt); the first \(failing) fail)")
            }
            return Fetched(item: request.item ?? "data", attempt: attempt)
        }
        return agent
    }
}
