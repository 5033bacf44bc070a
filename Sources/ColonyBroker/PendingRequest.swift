import ColonyWire
import ColonyCore
import ZeroMQ

/// A client request from arrival to answer: queued, then held by a worker.
final class PendingRequest {
    let token: UInt64
    let client: PeerID
    let clientDialect: Dialect
    /// The client's Colony header; nil for plain MDP clients, which get no header back.
    let clientHeader: ColonyHeader?
    /// The header Colony agents get: the client's, plus the capability asked for.
    /// Built on first use: plain MDP workers never need it.
    lazy var agentHeader: [UInt8] = {
        var forAgents = clientHeader ?? ColonyHeader()
        forAgents.capability = service.name
        return forAgents.encoded()
    }()
    /// Body frames (without the header); copies go to workers so a retry can resend them.
    let body: [Frame]
    let service: Service
    let arrivedAt: MonotonicTime
    /// When to give up: the client's deadline, or arrival + the broker's request expiry.
    let queueDeadline: MonotonicTime
    /// The client's own deadline, enforced while an agent holds the request too.
    let clientDeadline: MonotonicTime?
    var dispatches = 0
    weak var worker: Worker?
    /// Set once the client has its final answer (e.g. a timeout) while a worker still holds it.
    var answered = false

    init(
        token: UInt64, client: PeerID, clientDialect: Dialect, clientHeader: ColonyHeader?,
        body: [Frame], service: Service, arrivedAt: MonotonicTime, queueDeadline: MonotonicTime,
        clientDeadline: MonotonicTime?
    ) {
        self.token = token
        self.client = client
        self.clientDialect = clientDialect
        self.clientHeader = clientHeader
        self.body = body
        self.service = service
        self.arrivedAt = arrivedAt
        self.queueDeadline = queueDeadline
        self.clientDeadline = clientDeadline
    }
}
