import ColonyCore
import ColonyWire
import Foundation
import Logging
import ServiceLifecycle

/// An agent: a named set of capabilities and event handlers that runs as a process.
///
/// ```swift
/// import ColonyAgent
///
/// struct Operands: Codable, Sendable { var a: Double; var b: Double }
/// struct Sum: Codable, Sendable { var result: Double }
///
/// var agent = Agent(name: "calculator", concurrency: 8)
/// agent.capability("calc.add") { (input: Operands, context) in
///     context.logger.info("adding")             // logs carry agent, capability, correlation id
///     return Sum(result: input.a + input.b)
/// }
/// agent.on("market.tick") { (tick: [String: Double], context) in
///     context.logger.info("tick")
/// }
/// try await agent.run()   // the broker of COLONY_ENDPOINT (colony up sets it), else tcp://127.0.0.1:5555
/// ```
public struct Agent: Sendable {
    /// The agent's name, shown in the broker's directory and in logs.
    public var name: String
    /// How many requests the agent works on at once.
    public var concurrency: Int
    var capabilities: [String: CapabilityHandler] = [:]
    var capabilityOrder: [String] = []
    var eventHandlers: [EventHandler] = []
    var runFailedHandlers: [@Sendable (FailedRun) async -> Void] = []
    var leadershipHandlers: [@Sendable (LeadershipChange) async -> Void] = []
    /// What the capabilities do and take, announced to the broker (`colony agent info`).
    public var descriptions: [String: CapabilityDescription] = [:]

    public init(name: String, concurrency: Int = 1) {
        self.name = name
        self.concurrency = max(1, concurrency)
    }

    /// The capabilities declared so far, in declaration order.
    public var capabilityNames: [String] { capabilityOrder }

    /// Declares a capability whose input and output are JSON-coded `Input` and `Output`.
    /// `summary` (one line) and the input's JSON Schema (inferred from `Input` unless given)
    /// are announced, so `colony agent info` and `colony request` can show what it expects.
    public mutating func capability<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ name: String, summary: String? = nil, input schema: JSONValue? = nil,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) {
        describe(name, summary: summary, input: schema ?? InputSchema.infer(Input.self))
        register(name) { request, context in
            let input = try JSONCoding.decode(Input.self, from: request.body)
            let output = try await handler(input, context)
            return try JSONCoding.encode(output)
        }
    }

    /// Declares a capability that works on raw bytes (the body frames joined).
    public mutating func rawCapability(
        _ name: String, summary: String? = nil, input schema: JSONValue? = nil,
        _ handler: @escaping @Sendable ([UInt8], RequestContext) async throws -> [UInt8]
    ) {
        describe(name, summary: summary, input: schema)
        register(name) { request, context in try await handler(request.body, context) }
    }

    /// Sets what `capability` is announced to do and take.
    public mutating func describe(_ capability: String, summary: String?, input: JSONValue?) {
        let description = CapabilityDescription(summary: summary, input: input)
        descriptions[capability] = description.isEmpty ? nil : description
    }

    private mutating func register(_ name: String, _ run: @escaping CapabilityHandler.Body) {
        precondition(!name.isEmpty && !name.hasPrefix(ManagementService.prefix) && name.utf8.count <= CapabilityName.maximumBytes,
                     "invalid capability name '\(name)' (1 to \(CapabilityName.maximumBytes) bytes, not mmi.*)")
        if capabilities[name] == nil { capabilityOrder.append(name) }
        capabilities[name] = CapabilityHandler(name: name, run: run)
    }

    /// Declares a consensus voter: `capability` receives proposals (a consensus step's params)
    /// and answers with a vote; the orchestrator's round decides.
    public mutating func onVote<Body: Codable & Sendable>(
        _ capability: String, _ handler: @escaping @Sendable (Proposal<Body>, RequestContext) async throws -> Vote
    ) {
        self.capability(capability) { (proposal: Proposal<Body>, context: RequestContext) in try await handler(proposal, context) }
    }

    /// Declares a bidder for contract-net auctions: calls for proposals for `capability` arrive
    /// on `CAPABILITY.bid` (the step's params); answer with a `Bid` or `Bid.refusal(…)`. The task
    /// itself comes to `capability` if the bid wins, so declare that capability too.
    public mutating func onBid<Body: Codable & Sendable>(
        _ capability: String, _ handler: @escaping @Sendable (Proposal<Body>, RequestContext) async throws -> Bid
    ) {
        self.capability(capability + ".bid") { (call: Proposal<Body>, context: RequestContext) in try await handler(call, context) }
    }

    /// Handles events whose topic starts with `topic` (a trailing `.*` is allowed), decoded as `Event`.
    /// Events of a run that has ended are not fresh work: the handler is skipped for them,
    /// unless `includingFinishedRuns` (then only failed and cancelled runs are skipped).
    public mutating func on<Event: Decodable & Sendable>(
        _ topic: String, includingFinishedRuns: Bool = false, _ handler: @escaping @Sendable (Event, EventContext) async throws -> Void
    ) {
        precondition(Topics.fitsSubscription(topic), "topic '\(topic.prefix(40))…': a prefix is at most \(Topics.maximumSubscriptionPrefixBytes) bytes")
        let prefix = Topics.subscriptionPrefix(for: topic)
        eventHandlers.append(EventHandler(prefix: prefix, name: "\(name).on(\(topic))", includesFinishedRuns: includingFinishedRuns) { payload, context in
            try await handler(try JSONCoding.decode(Event.self, from: payload), context)
        })
    }

    /// Calls `handler` when this agent becomes leader of a group, loses it, or learns who leads
    /// (leader-follower coordination; announcements come from the orchestrator).
    public mutating func onLeadership(_ handler: @escaping @Sendable (LeadershipChange) async -> Void) {
        leadershipHandlers.append(handler)
    }

    /// Calls `handler` with the outcome of every auction round this agent bid in: accepted (the
    /// task follows) or rejected (another bidder won).
    public mutating func onAuctionResult(_ handler: @escaping @Sendable (_ award: Award, _ accepted: Bool, EventContext) async -> Void) {
        on(Topics.awardPrefix + "*", includingFinishedRuns: true) { (award: Award, context: EventContext) in
            await handler(award, award.winner == context.instance, context)
        }
    }

    /// Calls `handler` once for every run this agent learns has failed or been cancelled.
    /// (Handlers of such runs are skipped automatically; this is for cleaning up.)
    public mutating func onRunFailed(_ handler: @escaping @Sendable (FailedRun) async -> Void) {
        runFailedHandlers.append(handler)
    }

    /// Runs the agent until SIGINT/SIGTERM (when `options.handlesSignals`) or until the calling
    /// task is cancelled: registers with the broker, serves requests and events, reconnects
    /// after broker restarts, and shuts down gracefully (in-flight work finishes first).
    /// To run it next to other services, put an `AgentService` in your `ServiceGroup` instead.
    public func run(options: AgentOptions = AgentOptions()) async throws {
        let service = AgentService(self, options: options)
        guard options.handlesSignals else { return try await service.run() }
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: options.logger)
        try await group.run()
    }
}

/// A capability's handler working on raw bytes.
struct CapabilityHandler: Sendable {
    typealias Body = @Sendable (IncomingRequest, RequestContext) async throws -> [UInt8]
    let name: String
    let run: Body
}

/// An event handler matching a topic prefix.
struct EventHandler: Sendable {
    let prefix: String
    let name: String
    /// Whether events of completed runs still reach it.
    let includesFinishedRuns: Bool
    let run: @Sendable ([UInt8], EventContext) async throws -> Void
}

/// A request as the agent received it.
struct IncomingRequest: Sendable {
    let header: ColonyHeader?
    let body: [UInt8]
}

/// How an agent connects and behaves.
public struct AgentOptions: Sendable {
    /// The broker's endpoints (default: `COLONY_ENDPOINT`… as `colony up` sets them, else the defaults).
    public var endpoints: BrokerEndpoints
    /// Heartbeat interval; must match the broker's (default: `COLONY_HEARTBEAT_MS`, else 2.5 s).
    public var heartbeatInterval: Duration
    /// Missed heartbeats before the broker is presumed gone and the agent reconnects.
    public var liveness: Int
    /// First and largest delay between reconnect attempts.
    public var reconnectBackoff: (initial: Duration, max: Duration)
    /// How long in-flight work may take to finish at shutdown.
    public var shutdownGrace: Duration
    /// Run handlers on the I/O thread (fastest for short, non-blocking handlers) rather
    /// than the shared concurrent pool (safe for handlers that compute or block).
    public var handlersOnIOThread: Bool
    /// Stop on SIGINT/SIGTERM.
    public var handlesSignals: Bool
    /// How many failed runs the agent's gate remembers, and for how long.
    public var failedRunCapacity = 100_000
    public var failedRunTimeToLive: Duration = .seconds(3600)
    /// How many completed idempotency keys the agent remembers: a request repeating one of
    /// them (a re-dispatch after an orchestrator restart) gets the stored reply without
    /// running the handler again.
    public var idempotencyCacheSize = 10_000
    /// This agent's instance id on the bus (default NAME-HOST-PID); must be unique.
    public var instance: String? = ProcessInfo.processInfo.environment["COLONY_AGENT_INSTANCE"]
    /// Named groups it belongs to (default `$COLONY_AGENT_GROUPS`, comma separated).
    public var groups: [String] = (ProcessInfo.processInfo.environment["COLONY_AGENT_GROUPS"] ?? "")
        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    /// A file that records every handler start and end (default `$COLONY_EXECUTION_JOURNAL`).
    public var executionJournal: String? = ProcessInfo.processInfo.environment["COLONY_EXECUTION_JOURNAL"]
    /// The logger; metadata gains agent, capability and correlation id per message.
    public var logger: Logger
    /// The CURVE credentials (default: the environment's `COLONY_CURVE_*`); nil for a broker
    /// that does not require them.
    public var credentials: Credentials? = .ambient

    public init(
        endpoints: BrokerEndpoints = .ambient, heartbeatInterval: Duration = AgentOptions.ambientHeartbeatInterval,
        liveness: Int = MDP.defaultLiveness, reconnectBackoff: (initial: Duration, max: Duration) = (.milliseconds(100), .seconds(5)),
        shutdownGrace: Duration = .seconds(10), handlersOnIOThread: Bool = false, handlesSignals: Bool = true,
        logger: Logger = Logger(label: "agent")
    ) {
        self.endpoints = endpoints
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.reconnectBackoff = reconnectBackoff
        self.shutdownGrace = shutdownGrace
        self.handlersOnIOThread = handlersOnIOThread
        self.handlesSignals = handlesSignals
        self.logger = logger
    }
}
