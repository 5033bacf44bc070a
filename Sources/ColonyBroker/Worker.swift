import ColonyWire
import DequeModule
import ColonyCore
import ZeroMQ

/// One agent connection (an MDP worker), possibly serving several capabilities with a
/// capacity above one when it is a Colony agent that announced them in its READY header.
/// Its properties skip run-time exclusivity checks, as `Broker` explains: only the routing
/// thread touches them.
final class Worker {
    let id: PeerID
    let dialect: Dialect
    /// Whether it reads Colony header frames (it sent one in READY).
    let readsHeaders: Bool
    let name: String
    let processID: Int?
    /// The instance id requests can target; unique among connected workers.
    let instance: String
    /// Named groups it belongs to.
    let groups: [String]
    /// Requests addressed to this worker alone, waiting for a free slot.
    @exclusivity(unchecked) var targeted: Deque<PendingRequest> = []
    @exclusivity(unchecked) var services: [Service] = []
    /// Requests it may hold at once; a Colony agent lowers it to 0 while draining.
    @exclusivity(unchecked) var capacity: Int
    /// Tokens of the requests it holds.
    @exclusivity(unchecked) var held: Set<UInt64> = []
    /// When it last freed a slot; lower means idle longer.
    @exclusivity(unchecked) var freedSequence: UInt64
    /// Dead unless heard from by then.
    @exclusivity(unchecked) var expiry: MonotonicTime
    /// When the broker last sent it anything (heartbeats fill silences).
    @exclusivity(unchecked) var lastSent: MonotonicTime
    let joinedAtMilliseconds: UInt64
    @exclusivity(unchecked) var lastSeenMilliseconds: UInt64
    @exclusivity(unchecked) var served = 0
    @exclusivity(unchecked) var failed = 0
    /// Handlers the agent's failure gate skipped, as it last reported.
    @exclusivity(unchecked) var skipped: [String: Int] = [:]
    /// What its capabilities do and take, as it announced (bounded by `CapabilityDescriptions`).
    @exclusivity(unchecked) var descriptions: [String: CapabilityDescription] = [:]

    /// Takes the skip counts an agent reported in a header.
    func noteSkips(_ header: ColonyHeader) {
        if let count = header.skippedForFailedRuns { skipped["failed"] = Int(clamping: count) }
        if let count = header.skippedForCancelledRuns { skipped["cancelled"] = Int(clamping: count) }
    }

    init(
        id: PeerID, dialect: Dialect, readsHeaders: Bool, name: String, processID: Int?, instance: String, groups: [String],
        capacity: Int, sequence: UInt64, expiry: MonotonicTime, now: MonotonicTime, wallMilliseconds: UInt64
    ) {
        self.id = id
        self.instance = instance
        self.groups = groups
        self.dialect = dialect
        self.readsHeaders = readsHeaders
        self.name = name
        self.processID = processID
        self.capacity = capacity
        self.freedSequence = sequence
        self.expiry = expiry
        self.lastSent = now
        self.joinedAtMilliseconds = wallMilliseconds
        self.lastSeenMilliseconds = wallMilliseconds
    }

    var freeSlots: Int { capacity - held.count }
}
