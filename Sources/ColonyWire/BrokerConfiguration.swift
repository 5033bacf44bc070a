/// How a broker binds and how patient it is with agents and queued requests.
public struct BrokerConfiguration: Sendable {
    /// Where to bind the MDP router and the event proxy.
    public var endpoints: BrokerEndpoints
    /// How often heartbeats go to agents (RFC 7 default 2.5 s).
    public var heartbeatInterval: Duration
    /// Missed heartbeat intervals after which an agent is considered dead.
    public var liveness: Int
    /// How long a request may wait for a free agent before it is answered with an error.
    public var requestExpiry: Duration
    /// How often a request held by an agent that died is sent to another agent before
    /// the client gets `agent_lost`.
    public var redispatchLimit: Int
    /// The most requests one capability may queue; further ones are refused as `overloaded`.
    public var maxQueuedPerCapability: Int
    /// How many events may wait for one subscriber before it misses further ones (counted in
    /// `mmi.stats` as `eventsDroppedAtHighWaterMark`).
    public var eventHighWaterMark: Int32 = 100_000
    /// The most body bytes one capability may queue; further requests are refused as `overloaded`.
    public var maxQueuedBytesPerCapability = 128 * 1024 * 1024
    /// The most requests all capabilities together may queue, and their body bytes: the per-
    /// capability bounds keep one capability from crowding out another, these bound the broker.
    public var maxQueuedTotal = 1_000_000
    public var maxQueuedBytesTotal = 1 << 30
    /// The most capabilities no agent offers that requests may wait for at once (each name
    /// keeps a queue and its own metrics); a request for another such name gets `overloaded`.
    public var maxUnofferedCapabilities = 1_000
    /// How many waiting requests may keep their bodies in libzmq's 8 KiB receive buffers (no
    /// copy) before further ones get copies of their own: at most this × 8 KiB pinned.
    public var receiveBuffersForWaitingRequests = 1_024
    /// The largest message accepted on any socket (all frames); a peer that sends a larger
    /// one is disconnected by libzmq.
    public var maxMessageSize = MessageLimits.defaultMaximumSize
    /// After the broker starts, requests that belong to a run (they carry a correlation id)
    /// wait until the orchestrator has re-announced the runs that ended (`mmi.gate.synced`),
    /// so a restarted broker does not pass work of a failed run: at most this long, so a bus
    /// without an orchestrator only pays it once.
    public var gateRecovery: Duration = .seconds(3)
    /// The most requests one agent may hold at once, whatever capacity it announces.
    public var maxAgentCapacity: Int = 10_000
    /// How many failed runs the broker remembers (the oldest are forgotten first).
    public var failedRunCapacity: Int = 1_000_000
    /// How long the broker remembers a failed run.
    public var failedRunTimeToLive: Duration = .seconds(3600)
    /// The event journal (`mmi.events.read`); `Broker` keeps it in memory unless it is given
    /// an opened `EventJournal`.
    public var eventJournal = EventJournalSettings()
    /// How long an agent must have held a request before its client, if it asked (header tag
    /// 26), is told which instance has it. A reply sooner names the instance itself, so a short
    /// request costs no notice: no extra message through the broker, no extra wake-up of the
    /// client. Zero tells at once. The notice goes out at most one `Broker.tick` (20 ms) later.
    public var dispatchNoticeDelay: Duration = .milliseconds(10)

    public init(
        endpoints: BrokerEndpoints = .defaults,
        heartbeatInterval: Duration = MDP.defaultHeartbeatInterval,
        liveness: Int = MDP.defaultLiveness,
        requestExpiry: Duration = .seconds(30),
        redispatchLimit: Int = 1,
        maxQueuedPerCapability: Int = 100_000
    ) {
        self.endpoints = endpoints
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.requestExpiry = requestExpiry
        self.redispatchLimit = redispatchLimit
        self.maxQueuedPerCapability = maxQueuedPerCapability
    }

    /// The silence after which an agent is dropped.
    public var agentExpiry: Duration { heartbeatInterval * liveness }

    /// How long after the broker starts a request for a capability no agent has offered yet
    /// still waits (agents reconnect after a broker restart within an agent expiry; twice that
    /// to be sure); afterwards such a request is answered `no_agent` at once, with the nearest
    /// offered name, instead of waiting out its expiry for an agent that is not coming.
    public var unofferedCapabilityGrace: Duration { agentExpiry * 2 }
}
