import ColonyCore
import ColonyWire
import Foundation

/// How the coordinator reaches a group: who its members are, asking one member, telling all.
/// The orchestrator's bus adapter is the real one; the protocol keeps coordination free of
/// sockets, so its logic runs in-process in tests.
public protocol CoordinationBus: Sendable {
    /// The group's members (instance ids and what each offers), ordered by instance id; nil
    /// when the broker cannot be asked.
    func members(of group: GroupName, timeout: Duration) async -> [AgentRecord]?
    /// Sends `request` to its one member and returns the answer.
    func ask(_ request: MemberRequest) async throws(StepError) -> MemberReply
    /// Publishes `value` on `topic`; failures are logged by the bus, not thrown.
    func publish<Value: Encodable & Sendable>(_ topic: String, _ value: Value, run: RunID?) async
}

/// One request the coordinator sends to one member of a group.
public struct MemberRequest: Sendable, Hashable {
    public var capability: String
    /// The member's instance id: the request goes to it alone.
    public var instance: InstanceID
    public var body: JSONValue
    public var timeout: Duration
    /// The run, step and attempt the request serves, and its idempotency key.
    public var run: RunID
    public var step: StepID?
    public var attempt: Int?
    public var idempotencyKey: String?

    public init(capability: String, instance: InstanceID, body: JSONValue, timeout: Duration, run: RunID, step: StepID? = nil,
                attempt: Int? = nil, idempotencyKey: String? = nil) {
        self.capability = capability
        self.instance = instance
        self.body = body
        self.timeout = timeout
        self.run = run
        self.step = step
        self.attempt = attempt
        self.idempotencyKey = idempotencyKey
    }
}

/// A member's answer: its body and the agent that sent it.
public struct MemberReply: Sendable, Hashable {
    public var body: JSONValue
    /// `agent@instance` as the reply header names it, when it does.
    public var agent: String?

    public init(body: JSONValue, agent: String? = nil) {
        self.body = body
        self.agent = agent
    }

    /// The body decoded as `T`, or nil when it is not one.
    public func decode<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(body.jsonBytes))
    }
}
