import ColonyWire
import Logging

/// What request and event handlers share: the run they work for, its failure gate, and
/// events published from inside the run.
public protocol RunContext: Sendable {
    /// Workflow metadata (correlation id, step, attempt, idempotency key).
    var metadata: RequestMetadata { get }
    /// The agent's gate and outbox, as the runtime hands them to handlers.
    var runtime: HandlerRuntime { get }
}

extension RunContext {
    /// Publishes `value` as JSON on `topic`, carrying this message's run, so handlers of the
    /// event stay inside the run (and its failure gate).
    public func publish<T: Encodable & Sendable>(_ topic: String, _ value: T) async throws {
        try await runtime.outbox.publish(topic, value, metadata: metadata)
    }

    /// The failure of this message's run, if it has failed or been cancelled since the handler
    /// started; a long handler can ask and stop early.
    public func runFailure() async -> FailedRun? { await runtime.gate.failure(metadata.correlationID) }

    /// Whether this message's run has failed or been cancelled.
    public func runHasFailed() async -> Bool { await runFailure() != nil }
}

/// The agent's failure gate and event outbox, as handlers' contexts carry them.
public struct HandlerRuntime: Sendable {
    let gate: RunGate
    let outbox: Publisher
}

/// What a capability handler knows about the request it is serving.
public struct RequestContext: RunContext {
    /// The capability being served.
    public let capability: String
    /// The agent's name.
    public let agent: String
    /// This agent process's instance id (what `ColonyClient.request(…, instance:)` addresses).
    public let instance: String
    /// Workflow metadata (correlation id, step, attempt, idempotency key).
    public let metadata: RequestMetadata
    /// The client's deadline, in milliseconds since the Unix epoch, if it set one.
    public let deadlineMilliseconds: UInt64?
    /// A logger carrying agent, capability and correlation id.
    public let logger: Logger
    let partials: PartialReplySink?
    public let runtime: HandlerRuntime

    /// Sends a partial reply now (MDP/0.2 streaming); the handler's return value is the final one.
    public func sendPartial<T: Encodable & Sendable>(_ value: T) async throws {
        guard let partials else { return }
        await partials.send(try JSONCoding.encode(value))
    }
}

/// What an event handler knows about the event it is handling.
public struct EventContext: RunContext {
    /// The event's topic.
    public let topic: String
    /// The agent's name.
    public let agent: String
    /// This agent process's instance id.
    public let instance: String
    /// Workflow metadata from the event's header.
    public let metadata: RequestMetadata
    /// Who published it (from the header), if known.
    public let publisher: String?
    /// A logger carrying agent, topic and correlation id.
    public let logger: Logger
    public let runtime: HandlerRuntime
}

/// Asks the agent's failure gate about a run.
struct RunGate: Sendable {
    let lookup: @Sendable (String) async -> FailedRun?

    func failure(_ run: String?) async -> FailedRun? {
        guard let run else { return nil }
        return await lookup(run)
    }
}

/// Delivers partial replies of one request back through the agent's socket.
struct PartialReplySink: Sendable {
    let send: @Sendable ([UInt8]) async -> Void

    func send(_ body: [UInt8]) async { await send(body) }
}
