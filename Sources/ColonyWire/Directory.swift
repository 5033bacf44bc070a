import ColonyCore

/// One agent connection as the broker's directory reports it (`mmi.directory`).
public struct AgentRecord: Codable, Sendable, Hashable {
    /// The agent's name (from its READY header; "-" for plain MDP workers).
    public var name: String
    /// The broker's routing id for the connection, hex encoded.
    public var identity: String
    /// The MDP dialect the agent speaks.
    public var dialect: String
    /// Capabilities offered on this connection.
    public var capabilities: [String]
    /// Requests it may hold at once.
    public var capacity: Int
    /// Requests it holds now.
    public var busy: Int
    /// "idle" when it holds nothing, "busy" when at capacity, else "working".
    public var state: String
    /// Requests answered.
    public var served: Int
    /// Requests answered with an error.
    public var failed: Int
    /// The agent's process id, if it told.
    public var pid: Int?
    /// Handlers its failure gate skipped, by run status ("failed", "cancelled").
    public var skipped: [String: Int] = [:]
    /// When it registered, milliseconds since the Unix epoch.
    public var joinedAtMilliseconds: UInt64
    /// When the broker last heard from it, milliseconds since the Unix epoch.
    public var lastSeenMilliseconds: UInt64
    /// The agent instance id requests can be addressed to (`targetInstance`).
    public var instance: InstanceID?
    /// Named groups it belongs to.
    public var groups: [String]?
    /// What its capabilities do and take, as it announced them.
    public var descriptions: [String: CapabilityDescription]?

    public init(
        name: String, identity: String, dialect: String, capabilities: [String], capacity: Int,
        busy: Int, state: String, served: Int, failed: Int, pid: Int?,
        joinedAtMilliseconds: UInt64, lastSeenMilliseconds: UInt64, skipped: [String: Int] = [:],
        instance: InstanceID? = nil, groups: [String]? = nil, descriptions: [String: CapabilityDescription]? = nil
    ) {
        self.descriptions = descriptions
        self.skipped = skipped
        self.instance = instance
        self.groups = groups
        self.name = name
        self.identity = identity
        self.dialect = dialect
        self.capabilities = capabilities
        self.capacity = capacity
        self.busy = busy
        self.state = state
        self.served = served
        self.failed = failed
        self.pid = pid
        self.joinedAtMilliseconds = joinedAtMilliseconds
        self.lastSeenMilliseconds = lastSeenMilliseconds
    }
}

/// One capability as the directory reports it.
public struct CapabilityRecord: Codable, Sendable, Hashable {
    public var name: String
    /// Live agent connections offering it.
    public var agents: Int
    /// Requests waiting for a free agent.
    public var queued: Int
    /// Requests answered.
    public var served: Int
    /// What it does and takes, as one of its agents described it.
    public var description: CapabilityDescription?

    public init(name: String, agents: Int, queued: Int, served: Int, description: CapabilityDescription? = nil) {
        self.description = description
        self.name = name
        self.agents = agents
        self.queued = queued
        self.served = served
    }
}

/// The answer to `mmi.directory`.
public struct Directory: Codable, Sendable, Hashable {
    public var agents: [AgentRecord]
    public var capabilities: [CapabilityRecord]

    public init(agents: [AgentRecord], capabilities: [CapabilityRecord]) {
        self.agents = agents
        self.capabilities = capabilities
    }
}

/// The answer to `mmi.stats`: the broker's counters since it started.
public struct BrokerStatistics: Codable, Sendable, Hashable {
    public var uptimeSeconds: Double = 0
    public var requestsReceived = 0
    public var requestsDispatched = 0
    public var repliesDelivered = 0
    public var partialsDelivered = 0
    public var partialsDropped = 0
    public var requestsQueued = 0
    public var requestsExpired = 0
    /// Requests answered `no_agent` at once: no agent had offered their capability since the
    /// broker started (past its first `unofferedCapabilityGrace`).
    public var requestsForUnofferedCapabilities = 0
    public var requestsRedispatched = 0
    public var requestsFailedAgentLost = 0
    public var requestsTimedOut = 0
    public var lateRepliesDropped = 0
    public var repliesToVanishedClients = 0
    public var errorsByCode: [String: Int] = [:]
    public var malformedMessages = 0
    public var malformedByReason: [String: Int] = [:]
    public var workerDisconnectsSent = 0
    public var agentsJoined = 0
    public var agentsLost = 0
    public var agentsConnected = 0
    /// Times the broker's routing thread did not run for longer than a heartbeat interval (a
    /// stopped process, a paused machine, a starved CPU): agents' silence in them was excused.
    public var routingStalls = 0
    /// Events the proxy published, counted whether or not anyone had subscribed to them: the
    /// count says the broker got them, not that a subscriber did (`subscriptionsForwarded` says
    /// whether anyone has subscribed).
    public var eventsForwarded = 0
    /// Events that at least one subscriber missed because its queue was full (its high-water
    /// mark reached: a subscriber reading slower than events arrive). The others still got them.
    public var eventsDroppedAtHighWaterMark = 0
    /// Subscription and unsubscription messages from subscribers (the broker takes every event
    /// from publishers, for its journal, so they are counted, not passed upstream).
    public var subscriptionsForwarded = 0
    /// Events written to the event journal (`mmi.events.read`), and events that could not be
    /// (a failed write: subscribers still got them, journal readers will not).
    public var eventsJournaled = 0
    public var eventJournalWriteFailures = 0
    /// The journal's id, where it is kept (`memory` or its directory), and the events it keeps.
    public var eventJournal: String?
    public var eventJournalDirectory: String?
    public var eventJournalEvents = 0
    public var eventJournalBytes = 0
    public var managementQueries = 0
    public var failedRunsKnown = 0
    public var requestsRefusedForFailedRuns = 0
    /// Requests sent again with their idempotency key after the agent that had them was lost:
    /// another agent may run them a second time (at least once).
    public var requestsRedeliveredAfterAgentLoss = 0
    /// Whether peers must authenticate with CURVE ("curve") or not ("none": anyone who can
    /// reach the endpoints may do anything).
    public var security = "none"
    /// Peers and messages refused by the security checks, by reason (unknown key, revoked key,
    /// a capability or topic the role may not use, another key's instance id…).
    public var securityRefusals: [String: Int] = [:]

    public init() {}
}

/// The payload of the broker's `agent.joined` and `agent.lost` events.
public struct AgentEvent: Codable, Sendable, Hashable {
    public var agent: String
    public var identity: String
    public var capabilities: [String]
    public var pid: Int?
    /// Why the agent was lost (absent for joins).
    public var reason: String?

    public init(agent: String, identity: String, capabilities: [String], pid: Int?, reason: String?) {
        self.agent = agent
        self.identity = identity
        self.capabilities = capabilities
        self.pid = pid
        self.reason = reason
    }
}

/// A run that ended: what the orchestrator tells the broker (`mmi.gate.fail`) and what the
/// broker lists to agents (`mmi.gate.list`). Failed and cancelled runs stop all work on them;
/// completed ones only stop event handlers that did not opt in to events of finished runs.
public struct FailedRun: Codable, Sendable, Hashable {
    /// The run's correlation id.
    public var run: String
    public var status: RunEnd
    public var reason: String
    /// When it failed, milliseconds since the Unix epoch.
    public var atMilliseconds: UInt64

    public init(run: String, status: RunEnd = .failed, reason: String, atMilliseconds: UInt64 = WallClock.nowMilliseconds()) {
        self.run = run
        self.status = status
        self.reason = reason
        self.atMilliseconds = atMilliseconds
    }

    /// Whether no handler may work on the run any more (it failed or was cancelled).
    public var stopsWork: Bool { status != .completed }
}

/// How a run ended, as the failure gate tells it (`"failed"`, `"cancelled"`, `"completed"` on
/// the wire).
public enum RunEnd: String, Codable, Sendable, Hashable, CaseIterable {
    case failed, cancelled, completed
}

/// One handler an agent's failure gate skipped: what agents publish on `workflow.skipped`,
/// so `colony workflow show RUN` can list what was skipped where.
public struct SkipReport: Codable, Sendable, Hashable {
    public var run: String
    public var agent: String
    public var handler: String
    /// How the run ended, which caused the skip.
    public var status: RunEnd
    public var reason: String
    public var atMilliseconds: UInt64

    public init(run: String, agent: String, handler: String, status: RunEnd, reason: String, atMilliseconds: UInt64 = WallClock.nowMilliseconds()) {
        self.run = run
        self.agent = agent
        self.handler = handler
        self.status = status
        self.reason = reason
        self.atMilliseconds = atMilliseconds
    }
}

/// The members of a group (`mmi.group`): the agents offering a capability of that name, or
/// belonging to a named group of that name, ordered by instance id.
public struct GroupMembers: Codable, Sendable, Hashable {
    public var group: String
    public var members: [AgentRecord]

    public init(group: String, members: [AgentRecord]) {
        self.group = group
        self.members = members
    }
}

/// Who leads a group, under which term: what the orchestrator persists and announces on
/// `coordination.leader.GROUP`. Terms only grow; at most one leader holds a term.
public struct Leadership: Codable, Sendable, Hashable {
    public var group: GroupName
    /// The leader's instance id, or nil while the group has none.
    public var leader: InstanceID?
    public var term: UInt64
    /// When the lease ends unless renewed, milliseconds since the Unix epoch.
    public var expiresAtMilliseconds: UInt64

    public init(group: GroupName, leader: InstanceID?, term: UInt64, expiresAtMilliseconds: UInt64) {
        self.group = group
        self.leader = leader
        self.term = term
        self.expiresAtMilliseconds = expiresAtMilliseconds
    }
}
