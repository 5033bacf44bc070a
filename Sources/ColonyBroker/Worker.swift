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
    /// The requests it holds, each knowing its place here (`heldIndex`) so that letting one go
    /// is a swap with the last, with no search and no hashing. These references and the
    /// requests' `worker` form a cycle while held: `release` and `releaseHeld` break it.
    @exclusivity(unchecked) private(set) var held: [PendingRequest] = []
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

    /// Holds `request`, given to this worker.
    func hold(_ request: PendingRequest) {
        request.heldIndex = held.count
        held.append(request)
    }

    /// Lets go of `request`, which it held (answered).
    func release(_ request: PendingRequest) {
        let index = request.heldIndex
        guard index < held.count, held[index] === request else { return }
        let last = held.removeLast()
        if last !== request {
            held[index] = last
            last.heldIndex = index
        }
    }

    /// Lets go of everything it held (it is gone).
    func releaseHeld() {
        held.removeAll()
    }
}
