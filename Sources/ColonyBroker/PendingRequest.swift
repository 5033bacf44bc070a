import ColonyWire
import ColonyCore
import ZeroMQ

/// A client request from arrival to answer: queued, then held by a worker. Its properties skip
/// run-time exclusivity checks, as `Broker` explains: only the routing thread touches them.
final class PendingRequest {
    let client: PeerID
    let clientDialect: Dialect
    /// The client's Colony header; nil for plain MDP clients, which get no header back.
    let clientHeader: ClientHeader?
    /// The header Colony agents get: the client's, plus the capability asked for (and, for a
    /// request sent again after its agent was lost, which agent that was). Built on first use:
    /// plain MDP workers never need it.
    var agentHeader: [UInt8] {
        if let cachedAgentHeader { return cachedAgentHeader }
        var forAgents = clientHeader?.fields ?? ColonyHeader()
        forAgents.capability = service.name
        forAgents.redeliveredAfterLossOf = redeliveredAfterLossOf
        let encoded = forAgents.encoded()
        cachedAgentHeader = encoded
        return encoded
    }
    @exclusivity(unchecked) private var cachedAgentHeader: [UInt8]?
    /// While the request waits for its preferred instance to (re)connect: until when.
    @exclusivity(unchecked) var awaitingInstanceUntil: MonotonicTime?
    /// Set when this request goes to another agent because the one that had it was lost.
    var redeliveredAfterLossOf: String? {
        didSet { cachedAgentHeader = nil }
    }
    /// Body parts (without the header); copies go to workers so a retry can resend them.
    let body: MessageParts
    /// The body's size in bytes: what the capability's queue is bounded by.
    let size: Int
    let service: Service
    let arrivedAt: MonotonicTime
    /// When to give up: the client's deadline, or arrival + the broker's request expiry.
    let queueDeadline: MonotonicTime
    /// The client's own deadline, enforced while an agent holds the request too.
    let clientDeadline: MonotonicTime?
    @exclusivity(unchecked) var dispatches = 0
    /// The token it was last sent to an agent with (`InFlightTable`); 0 before that.
    @exclusivity(unchecked) var holdToken: UInt64 = 0
    /// Its place in its worker's `held` while that worker holds it.
    @exclusivity(unchecked) var heldIndex = 0
    /// The agent connection it was last given to. A strong reference (a weak one cost a
    /// side-table load at every reply); while that worker holds it, the worker's `held` refers
    /// back, until the answer or the worker's loss lets go (`Worker.release`, `releaseHeld`).
    @exclusivity(unchecked) var worker: Worker?
    /// Set once the client has its final answer (e.g. a timeout) while a worker still holds it.
    @exclusivity(unchecked) var answered = false

    init(
        client: PeerID, clientDialect: Dialect, clientHeader: ClientHeader?,
        body: MessageParts, service: Service, arrivedAt: MonotonicTime, queueDeadline: MonotonicTime,
        clientDeadline: MonotonicTime?
    ) {
        self.client = client
        self.clientDialect = clientDialect
        self.clientHeader = clientHeader
        self.body = body
        self.size = body.byteCount
        self.service = service
        self.arrivedAt = arrivedAt
        self.queueDeadline = queueDeadline
        self.clientDeadline = clientDeadline
    }

    /// Called before the request waits (in a queue, for its instance, for the gate to recover):
    /// its body keeps the receive buffers it points into while `budget` allows; otherwise its
    /// parts of up to 64 KiB get memory of their own (larger ones already have theirs).
    func prepareToWait(_ budget: ReceiveBufferBudget) {
        guard case .asReceived = bodyMemory else { return }
        if budget.take() {
            bodyMemory = .pinned(budget)
        } else {
            body.detach(upTo: 65_536)
            bodyMemory = .copied
        }
    }

    /// Where the body's bytes live: as received, in receive buffers counted against a budget
    /// (given back when the request goes), or in copies of its own.
    private enum BodyMemory {
        case asReceived
        case pinned(ReceiveBufferBudget)
        case copied
    }
    @exclusivity(unchecked) private var bodyMemory = BodyMemory.asReceived

    deinit {
        if case .pinned(let budget) = bodyMemory { budget.release() }
    }
}

/// A request's client header, held by reference: a decoded `ColonyHeader` is 368 bytes, most of
/// a waiting request's fixed size, and plain MDP clients, who send none, then pay 8 for it.
final class ClientHeader {
    let fields: ColonyHeader

    init(_ fields: ColonyHeader) { self.fields = fields }
}
