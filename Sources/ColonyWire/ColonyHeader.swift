import ColonyCore

/// Colony's optional metadata frame: correlation, deadlines, reply status and agent facts.
///
/// It travels as the first body frame of requests, replies and events, and is recognised
/// by its 4-byte magic `C0 43 4C 01` (0xC0 never starts valid UTF-8, so JSON and text
/// bodies cannot be mistaken for it). Plain MDP peers never see it: the broker strips it
/// before forwarding to them. Fields are tag-length-value records; unknown tags are skipped,
/// so newer peers can add fields. See docs/PROTOCOL.md.
public struct ColonyHeader: Sendable, Hashable {
    /// Reply status.
    public enum Status: UInt8, Sendable {
        case ok = 0
        case error = 1
    }

    /// A client-chosen id echoed in the reply, so one socket can keep many requests in flight.
    public var requestID: UInt64?
    /// The workflow run this message belongs to.
    public var correlationID: String?
    /// The workflow step that issued the request.
    public var step: String?
    /// The attempt number of that step (1-based).
    public var attempt: UInt32?
    /// Stable key for de-duplicating retried deliveries: (run, step, attempt) by default.
    public var idempotencyKey: String?
    /// Absolute deadline in milliseconds since the Unix epoch.
    public var deadlineMilliseconds: UInt64?
    /// Reply status (absent means ok).
    public var status: Status?
    /// Error code when `status == .error`.
    public var errorCode: ErrorCode?
    /// Error message when `status == .error`.
    public var errorMessage: String?
    /// The agent's name (READY, replies, events).
    public var agent: String?
    /// READY: every capability the agent serves on this connection.
    public var capabilities: [String]
    /// READY: how many requests the agent takes at once on this connection.
    public var capacity: UInt32?
    /// READY: the agent process's id, for the directory.
    public var processID: UInt32?
    /// Events: publication time in milliseconds since the Unix epoch.
    public var timestampMilliseconds: UInt64?
    /// Requests to agents: the capability asked for (set by the broker).
    public var capability: String?
    /// Agent → broker: handlers the agent's failure gate skipped so far (failed, cancelled runs).
    public var skippedForFailedRuns: UInt64?
    public var skippedForCancelledRuns: UInt64?
    /// READY: this agent process's instance id, unique on the bus, so it can be addressed alone.
    public var instance: String?
    /// Requests: only this agent instance may serve the request (coordination, leaders).
    public var targetInstance: String?
    /// READY: the named groups the agent belongs to (agents.yaml `groups:`). Requests of a
    /// coordinated step: the one group the step coordinates.
    public var groups: [String] = []
    /// Requests of a leader-follower step: the leadership term it was sent under; agents refuse
    /// terms older than the newest they know (fencing).
    public var term: UInt64?
    /// Requests of a leader-follower step: when the leadership lease of `term` ends, in the
    /// orchestrator's wall-clock milliseconds (its `timestamp` says when it was sent, on the
    /// same clock), so an agent can tell a lapsed lease without having heard of a newer term.
    public var leaseExpiresAtMilliseconds: UInt64?
    /// Requests the broker sent again because the agent holding them was lost: that agent's
    /// instance id (the first delivery may have run there).
    public var redeliveredAfterLossOf: String?
    /// Requests: send to this agent instance if it is connected (or connects within one agent
    /// expiry); only then to another, marked `redeliveredAfterLossOf`. A re-sent attempt names
    /// the instance that got it before.
    public var preferredInstance: String?
    /// Requests: the client wants a PARTIAL notice, before the agent runs it, naming the
    /// instance the broker gave the request to (`dispatchedTo`).
    public var wantsDispatchNotice = false
    /// Requests: answer `no_agent` at once (with the nearest offered name) when no agent has
    /// offered the capability since the broker started, instead of queueing the request for an
    /// agent that may come; plain MDP clients, without it, keep MDP's queueing.
    public var failIfUnoffered = false
    /// Broker → client PARTIAL notice: the instance the request was given to.
    public var dispatchedTo: String?
    /// READY: what the agent's capabilities take and do, as a JSON object
    /// (`CapabilityDescriptions`: capability → summary and input schema).
    public var descriptions: String?

    public init(
        requestID: UInt64? = nil, correlationID: String? = nil, step: String? = nil,
        attempt: UInt32? = nil, idempotencyKey: String? = nil, deadlineMilliseconds: UInt64? = nil,
        status: Status? = nil, errorCode: ErrorCode? = nil, errorMessage: String? = nil,
        agent: String? = nil, capabilities: [String] = [], capacity: UInt32? = nil,
        processID: UInt32? = nil, timestampMilliseconds: UInt64? = nil, capability: String? = nil
    ) {
        self.requestID = requestID
        self.correlationID = correlationID
        self.step = step
        self.attempt = attempt
        self.idempotencyKey = idempotencyKey
        self.deadlineMilliseconds = deadlineMilliseconds
        self.status = status
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.agent = agent
        self.capabilities = capabilities
        self.capacity = capacity
        self.processID = processID
        self.timestampMilliseconds = timestampMilliseconds
        self.capability = capability
    }

    /// A reply header carrying `error`.
    public static func failure(_ error: WireError, requestID: UInt64? = nil) -> ColonyHeader {
        ColonyHeader(requestID: requestID, status: .error, errorCode: error.code, errorMessage: error.message)
    }

    /// The error this header reports, if its status is error.
    public var error: WireError? {
        guard status == .error else { return nil }
        return WireError(errorCode ?? .internal, errorMessage ?? "unspecified error")
    }

    /// The magic prefix of a header frame.
    public static let magic: [UInt8] = [0xC0, 0x43, 0x4C, 0x01]

    /// Whether `frame` is a Colony header (starts with the magic).
    @inlinable
    public static func isHeader(_ frame: some WireFrame) -> Bool {
        frame.count >= 4 && frame.withUnsafeBytes {
            $0[0] == 0xC0 && $0[1] == 0x43 && $0[2] == 0x4C && $0[3] == 0x01
        }
    }
}

/// Field tags of the header's TLV records. Values are fixed on the wire: never reuse one.
enum HeaderTag: UInt8 {
    case requestID = 1
    case correlationID = 2
    case step = 3
    case attempt = 4
    case idempotencyKey = 5
    case deadline = 6
    case status = 7
    case errorCode = 8
    case errorMessage = 9
    case agent = 10
    case offeredCapability = 11
    case capacity = 12
    case processID = 13
    case timestamp = 14
    case requestedCapability = 15
    case skippedFailed = 16
    case skippedCancelled = 17
    case instance = 18
    case targetInstance = 19
    case group = 20
    case term = 21
    case redeliveredAfterLossOf = 22
    case leaseExpiresAt = 23
    case dispatchedTo = 24
    case preferredInstance = 25
    case dispatchNotice = 26
    case descriptions = 27
    case failIfUnoffered = 28
}
