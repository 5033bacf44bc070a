import ColonyWire
import Foundation
import Synchronization
import DequeModule
import HeapModule
import Logging
import ColonyCore
import ZeroMQ

/// The Colony broker: routes MDP requests from clients to agents by capability, keeps
/// agents' liveness by heartbeats, and proxies events from publishers to subscribers.
///
/// Request routing runs on one thread, like the fastest C brokers: it blocks inside
/// libzmq's receive (with a 20 ms timeout for its timers), so a message costs no more
/// system calls than in C. A `Broker` is created, run and stopped on that thread, so its
/// state needs no locks. Events go through an `EventProxy` on a second thread.
/// Use `Broker.start(_:logger:)` to run one on a thread of its own, or `run()` on the current one.
///
/// Its stored properties, and those of the objects only it holds (`Service`, `Worker`,
/// `PendingRequest`, `QueueTotals`, `ReceiveBufferBudget`), are `@exclusivity(unchecked)`:
/// Swift's run-time exclusivity checks were 11% of the routing thread's instructions, and here
/// they guard nothing. Only the routing thread touches these properties, and no access to one
/// spans code that reaches the same property again: each statement reads or writes a table
/// once, and the one closure run inside a modification (`FairQueue.removeAll`'s predicate)
/// reads only the request it is given. Keep it so: a change that passes one of these
/// properties `inout` into code that touches it again is a bug that no check catches.
public final class Broker {
    let configuration: BrokerConfiguration
    /// `configuration.agentExpiry` and `.requestExpiry`, worked out once (they are added to the
    /// clock at every message an agent sends and at every request).
    let agentExpiry: MonotonicTime.Offset
    let requestExpiry: MonotonicTime.Offset
    @exclusivity(unchecked) var logger: Logger
    let router: Socket
    /// The `inproc` endpoint of `router` that the routing ticker connects to.
    private let tickEndpoint: String
    let systemEvents: Socket
    let events: (publish: String, subscribe: String, loop: IOLoop)
    let eventCounters = EventCounters()
    /// Every forwarded event, for `mmi.events.read`.
    let journal: EventJournal
    /// Journal reads waiting for an event (long polls), answered on the tick.
    @exclusivity(unchecked) var parkedReads: [ParkedRead] = []
    let stopFlag = StopFlag()

    @exclusivity(unchecked) var services: [String: Service] = [:]
    /// The service the last routed request named (`recentlyRequestedService`); cleared when
    /// `services` forgets it.
    @exclusivity(unchecked) var lastRequestedService: Service?
    /// How many of `services` no agent offers (kept where agents come and go), for the
    /// `maxUnofferedCapabilities` bound without a scan.
    @exclusivity(unchecked) var unofferedServiceCount = 0
    /// The access entries of peers that sent messages, by routing id, and whether each may ask
    /// the capabilities it asked (Broker+Security).
    @exclusivity(unchecked) var senders = SenderCache(capacity: 10_000)
    /// Every capability an agent has offered since the broker started (at most
    /// `maxOfferedCapabilities`): a request for one that is not here fails fast.
    @exclusivity(unchecked) var offeredCapabilities = Set<String>()
    /// Beyond this many names offered, requests for unknown ones wait as they always did.
    static let maxOfferedCapabilities = 100_000
    @exclusivity(unchecked) var workers: [PeerID: Worker] = [:]
    /// Workers by instance id, for requests addressed to one agent.
    @exclusivity(unchecked) var workersByInstance: [String: Worker] = [:]
    /// Requests agents hold, by the token each was sent with.
    @exclusivity(unchecked) var inFlight = InFlightTable()
    /// Waiting requests whose bodies may stay in libzmq's receive buffers.
    let receiveBuffers: ReceiveBufferBudget
    /// Client deadlines of held requests, soonest first (entries of answered requests linger
    /// until popped).
    @exclusivity(unchecked) var heldDeadlines = Heap<HeldDeadline>()
    /// Dispatch notices still to send, oldest first: each goes out once its request has been
    /// held `dispatchNoticeDelay`, unless it was answered (or held anew) by then.
    @exclusivity(unchecked) var dueNotices = Deque<DueNotice>()
    /// Runs that failed or were cancelled: their requests are refused.
    @exclusivity(unchecked) var failedRuns: EndedRunTables
    @exclusivity(unchecked) var sequence: UInt64 = 0
    @exclusivity(unchecked) var statistics = BrokerStatistics()
    /// Turns the statistics into metrics every heartbeat tick.
    @exclusivity(unchecked) var metricsSampler = BrokerMetricsSampler()
    /// The labels of capabilities' metrics (a bounded number of names no agent offered).
    @exclusivity(unchecked) var capabilityLabels: CapabilityLabels
    /// What all capability queues hold together (`maxQueuedTotal`, `maxQueuedBytesTotal`).
    let queueTotals = QueueTotals()
    /// CURVE and the access list; nil when the broker runs without security.
    let guardian: BrokerGuard?
    /// The guard's `listGeneration` this thread last acted on (`applyAccessListChanges`).
    @exclusivity(unchecked) var appliedAccessListGeneration: UInt64 = 0
    /// Which key (by name) each agent instance id belongs to: another key may not claim it.
    @exclusivity(unchecked) var instanceOwners: [String: String] = [:]
    /// Failed handshakes on the request socket (peers without a key of this colony).
    let handshakes: HandshakeMonitor?
    let startedAt = MonotonicTime.now()
    /// When the routing loop last read the clock: once a message, as it arrives. Handlers take
    /// it as "now" (arrival, liveness, the time an agent was last sent something) instead of
    /// reading the clock again; it is behind the clock by the handling of one message.
    @exclusivity(unchecked) var messageTime = MonotonicTime.now()
    /// This instance's id: a client that sees it change knows the broker restarted.
    let bootID = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    /// Which agent instance got each idempotency key last, so a request sent again (an
    /// orchestrator that restarted re-sends what was in flight) goes to the agent that has it
    /// (its idempotency cache joins or replays it) while that agent lives.
    @exclusivity(unchecked) var affinity = AffinityTable(capacity: 100_000)
    /// Requests waiting (at most one agent expiry) for their preferred instance to connect.
    @exclusivity(unchecked) var awaitingInstance: [PendingRequest] = []
    /// The newest leadership term seen per group in requests: a queued request of an older
    /// term is refused (`stale_term`) instead of reaching a leader that has been replaced.
    @exclusivity(unchecked) var latestTerms: [String: UInt64] = [:]
    /// Requests of runs held until the ended runs are re-announced (or `gateRecovery` passes);
    /// nil once the gate is in sync.
    @exclusivity(unchecked) var heldForGateRecovery: [PendingRequest]? = []

    /// How often timers are checked: queued-request expiry has this resolution.
    static let tick: Duration = .milliseconds(20)

    /// The least gap between two turns of the routing loop taken for a stall (its agents'
    /// silence then excused), however short the heartbeat interval: ten ticks, as a turn waits
    /// at most one for input. With a longer interval, the gap must exceed the interval.
    static let shortestStall: Duration = tick * 10

    /// The endpoints actually bound (wildcard ports resolved).
    public let boundEndpoints: BrokerEndpoints

    /// Binds the broker's sockets on the calling thread, which must then call `run()`.
    public init(_ configuration: BrokerConfiguration, guard guardian: BrokerGuard? = nil, journal: EventJournal? = nil,
                logger: Logger) throws(ZMQError) {
        self.configuration = configuration
        self.agentExpiry = MonotonicTime.Offset(configuration.agentExpiry)
        self.requestExpiry = MonotonicTime.Offset(configuration.requestExpiry)
        self.journal = journal ?? EventJournal.inMemory(configuration.eventJournal)
        self.guardian = guardian
        self.logger = logger
        receiveBuffers = ReceiveBufferBudget(limit: configuration.receiveBuffersForWaitingRequests)
        capabilityLabels = CapabilityLabels(unofferedLimit: configuration.maxUnofferedCapabilities)
        try guardian?.register()
        failedRuns = EndedRunTables(capacity: configuration.failedRunCapacity, timeToLive: configuration.failedRunTimeToLive)
        router = try Socket(.router)
        try router.setMaximumMessageSize(configuration.maxMessageSize)
        try router.setRouterMandatory(true)
        try router.setRouterHandover(true)
        try router.setSendHighWaterMark(100_000)
        try router.setReceiveHighWaterMark(100_000)
        try guardian?.secure(router)
        handshakes = guardian == nil ? nil : try HandshakeMonitor(router)
        let instance = Broker.instances.add(1, ordering: .relaxed).newValue
        // Bound first, so that `lastEndpoint` is the requests endpoint. libzmq authenticates
        // no inproc peer: the ticker's messages are taken out before any access check.
        tickEndpoint = "inproc://colony-routing-ticks-\(instance)"
        try router.bind(tickEndpoint)
        try router.bind(configuration.endpoints.requests)
        systemEvents = try Socket(.push)
        let systemEndpoint = "inproc://colony-system-events-\(instance)"
        try systemEvents.bind(systemEndpoint)
        events = try EventProxy.start(configuration, guard: guardian, systemEndpoint: systemEndpoint, counters: eventCounters,
                                   journal: self.journal)
        boundEndpoints = BrokerEndpoints(requests: router.lastEndpoint, publish: events.publish, subscribe: events.subscribe)
    }

    private static let instances = Atomic<Int>(0)

    /// Runs the broker on the calling thread until `stop()` is called on its handle.
    public func run() {
        if guardian == nil {
            logger.warning("security is off: anyone who can reach these endpoints may offer, ask, publish and read anything (security.mode: none)")
        }
        logger.debug("broker listening", metadata: [
            "security": "\(guardian == nil ? "none" : "curve")",
            "requests": "\(boundEndpoints.requests)",
            "publish": "\(boundEndpoints.publish)",
            "subscribe": "\(boundEndpoints.subscribe)",
        ])
        guardian?.startWatching(every: Broker.tick)
        let ticker = startTicker()
        let message = ReceivedMessage()
        var nextExpiry = MonotonicTime.now() + Broker.tick
        var nextHeartbeat = MonotonicTime.now() + configuration.heartbeatInterval
        let stallThreshold = MonotonicTime.Offset(max(configuration.heartbeatInterval, Broker.shortestStall)).nanoseconds
        var memory = MemoryReturn()
        messageTime = .now()
        while !stopFlag.isSet {
            var received = false
            do {
                received = try router.receiveMessage(into: message, wait: true)
            } catch .terminated {
                break
            } catch {
                logger.error("receive failed", metadata: ["error": "\(error)"])
            }
            let now = MonotonicTime.now()
            let sinceLastTurn = now.nanoseconds(since: messageTime)
            if sinceLastTurn > stallThreshold { excuseSilences(during: MonotonicTime.Offset(nanoseconds: sinceLastTurn)) }
            messageTime = now
            if received {
                if let ticker, ticker.isTick(message.parts) {
                    ticker.taken()
                } else {
                    if message.overflowed {
                        countMalformed(.tooManyFrames, frames: message.parts)
                    } else {
                        handle(message.parts)
                    }
                    memory.messagesSinceTrim += 1
                }
            }
            sendDueNotices(now: now)
            if now >= nextExpiry {
                expireRequests()
                answerParkedReads(now: now)
                applyAccessListChanges()
                guardian?.countHandshakes(handshakes)
                memory.tick(now: now)
                nextExpiry = now + Broker.tick
            }
            if now >= nextHeartbeat {
                heartbeat(now: now)
                nextHeartbeat = now + configuration.heartbeatInterval
            }
        }
        shutDown()
        ticker?.stop()
    }

    /// Starts the thread that wakes the idle routing loop once a tick. Should it fail to start,
    /// the loop's receive waits at most a tick instead (each wait then costs a kernel timer).
    private func startTicker() -> RoutingTicker? {
        do {
            return try RoutingTicker.start(connectingTo: tickEndpoint, every: Broker.tick)
        } catch {
            logger.warning("routing ticker did not start; the routing loop wakes by timeout instead", metadata: ["error": "\(error)"])
            try? router.setReceiveTimeout(milliseconds: Int32(Broker.tick.milliseconds))
            return nil
        }
    }

    /// A handle that stops this broker from any thread.
    public var handle: BrokerHandle { BrokerHandle(endpoints: boundEndpoints, stopFlag: stopFlag) }
    /// Answers everything still pending and tells agents the broker is going.
    private func shutDown() {
        let farewell = WireError(.unavailable, "broker shutting down")
        for service in services.values {
            while let pending = service.queue.popFirst() { sendError(farewell, to: pending) }
        }
        for pending in inFlight.requests where !pending.answered { sendError(farewell, to: pending) }
        inFlight.removeAll()
        for worker in workers.values { worker.releaseHeld() }
        answerParkedReads(now: MonotonicTime(nanoseconds: .max))
        for worker in workers.values { sendCommand(.disconnect, to: worker) }
        events.loop.stop()
        guardian?.stopWatching()
        guardian?.unregister()
        logger.info("broker stopped", metadata: [
            "requests": "\(statistics.requestsReceived)", "replies": "\(statistics.repliesDelivered)",
            "malformed": "\(statistics.malformedMessages)",
        ])
    }

    // MARK: Router input

    func handle(_ frames: ReceivedParts) {
        switch Envelope.parse(frames) {
        case .clientRequest(let dialect, let serviceIndex):
            // Checked first: every table keyed by capability (verdicts included) holds short names only.
            guard frames[serviceIndex].count <= CapabilityName.maximumBytes else {
                let bytes = frames[serviceIndex].count
                refuseRequest(WireError(.badRequest, "a capability name is at most \(CapabilityName.maximumBytes) bytes; this one has \(bytes)"),
                              frames, dialect: dialect, serviceIndex: serviceIndex)
                return
            }
            // Made once, for the access check and the routing (the name nil when not UTF-8).
            let client = PeerID(part: frames[0])
            let recent = recentlyRequestedService(named: frames[serviceIndex])
            let name = recent?.name ?? frames[serviceIndex].string
            guard admitsRequest(frames, from: client, name: name ?? "", known: recent, dialect: dialect, serviceIndex: serviceIndex) else { return }
            handleClientRequest(frames, from: client, name: name, known: recent, dialect: dialect, serviceIndex: serviceIndex)
        case .worker(let dialect, let command, let arguments):
            // Looked up once, for the access check and the command.
            let peer = PeerID(part: frames[0])
            let worker = workers[peer]
            guard admitsWorkerCommand(frames, from: peer, worker, dialect: dialect, command: command, arguments: arguments) else { return }
            handleWorkerCommand(frames, from: peer, worker, dialect: dialect, command: command, arguments: arguments)
        case .malformed(let reason):
            countMalformed(reason, frames: frames)
        }
    }

    func countMalformed(_ reason: MalformedReason, frames: ReceivedParts) {
        statistics.malformedMessages += 1
        statistics.malformedByReason[reason.rawValue, default: 0] += 1
        logger.debug("malformed message dropped", metadata: [
            "reason": "\(reason.rawValue)", "frames": "\(frames.count)",
            "peer": "\(frames.first.map { PeerID(part: $0).hex } ?? "-")",
        ])
    }

    func takeSequence() -> UInt64 {
        sequence &+= 1
        return sequence
    }
}

/// A held request's client deadline, with the token of that hold (one per time the request
/// was given to an agent: the token of an earlier one finds nothing).
struct HeldDeadline: Comparable {
    let deadline: MonotonicTime
    let holdToken: UInt64
    static func < (lhs: HeldDeadline, rhs: HeldDeadline) -> Bool { (lhs.deadline, lhs.holdToken) < (rhs.deadline, rhs.holdToken) }
}

/// A dispatch notice to send at `due`, if the hold `holdToken` names still holds its request.
struct DueNotice {
    let due: MonotonicTime
    let holdToken: UInt64
}

/// Set once to stop a broker; safe from any thread (and from signal handlers' queues).
/// It also tells waiters when the broker has finished stopping.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }

    /// Called by the broker once it has answered everything and disconnected its agents.
    func markStopped() {
        let waiters = stopped.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }
}

/// A running broker; stop it from anywhere.
public struct BrokerHandle: Sendable {
    /// The endpoints actually bound.
    public let endpoints: BrokerEndpoints
    let stopFlag: StopFlag

    /// Asks the broker to answer what it holds, disconnect its agents and stop (within one tick).
    public func stop() { stopFlag.set() }

    /// Returns once the broker has stopped.
    public func waitUntilStopped() async { await stopFlag.waitUntilStopped() }
}

extension Broker {
    /// Starts a broker on a new thread and returns once its sockets are bound.
    public static func start(_ configuration: BrokerConfiguration, guard guardian: BrokerGuard? = nil, journal: EventJournal? = nil,
                             logger: Logger) throws(ZMQError) -> BrokerHandle {
        try startOnThread(named: "colony-broker") { ready in
            let broker: Broker
            do throws(ZMQError) {
                broker = try Broker(configuration, guard: guardian, journal: journal, logger: logger)
            } catch {
                ready(.failure(error))
                return
            }
            ready(.success(broker.handle))
            broker.run()
            broker.stopFlag.markStopped()
        }
    }
}
