import ColonyWire
import Foundation
import Synchronization
import Logging
import ZeroMQ

/// The Colony broker: routes MDP requests from clients to agents by capability, keeps
/// agents' liveness by heartbeats, and proxies events from publishers to subscribers.
///
/// Everything runs on one thread (its `IOLoop`), like the fastest C brokers: a
/// `Broker` is created, run and stopped there, so its state needs no locks. Use
/// `Broker.start(_:)` to run one on a thread of its own, or `run()` on the current thread.
public final class Broker {
    let configuration: BrokerConfiguration
    let loop: IOLoop
    var logger: Logger
    let router: Socket
    let eventsIn: Socket
    let eventsOut: Socket

    var services: [String: Service] = [:]
    var workers: [PeerID: Worker] = [:]
    var inFlight: [UInt64: PendingRequest] = [:]
    var nextToken: UInt64 = 1
    var sequence: UInt64 = 0
    var statistics = BrokerStatistics()
    let startedAt = MonotonicTime.now()

    /// The endpoints actually bound (wildcard ports resolved).
    public let boundEndpoints: BrokerEndpoints

    /// Binds the broker's sockets on the calling thread, which must then call `run()`.
    public init(_ configuration: BrokerConfiguration, loop: IOLoop = IOLoop(name: "colony-broker"), logger: Logger) throws(ZMQError) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        router = try Socket(.router)
        try router.setRouterMandatory(true)
        try router.setRouterHandover(true)
        try router.setSendHighWaterMark(100_000)
        try router.setReceiveHighWaterMark(100_000)
        try router.bind(configuration.endpoints.requests)
        eventsIn = try Socket(.xSubscriber)
        try eventsIn.setReceiveHighWaterMark(100_000)
        try eventsIn.bind(configuration.endpoints.publish)
        eventsOut = try Socket(.xPublisher)
        try eventsOut.setSendHighWaterMark(100_000)
        try eventsOut.bind(configuration.endpoints.subscribe)
        boundEndpoints = BrokerEndpoints(
            requests: router.lastEndpoint, publish: eventsIn.lastEndpoint, subscribe: eventsOut.lastEndpoint
        )
    }

    /// Runs the broker on the calling thread until `stop()` is called on its loop.
    public func run() {
        loop.run { [self] in
            _ = loop.watch(router) { [unowned self] in drainRouter() }
            _ = loop.watch(eventsIn) { [unowned self] in forwardEvents() }
            _ = loop.watch(eventsOut) { [unowned self] in forwardSubscriptions() }
            loop.scheduleRepeating(every: configuration.heartbeatInterval) { [unowned self] in heartbeat() }
            loop.scheduleRepeating(every: .milliseconds(20)) { [unowned self] in expireRequests() }
            logger.info("broker listening", metadata: [
                "requests": "\(boundEndpoints.requests)",
                "publish": "\(boundEndpoints.publish)",
                "subscribe": "\(boundEndpoints.subscribe)",
            ])
        }
        shutDown()
    }

    /// A handle that stops this broker from any thread.
    public var handle: BrokerHandle { BrokerHandle(endpoints: boundEndpoints, loop: loop) }

    /// Answers everything still pending and tells agents the broker is going.
    private func shutDown() {
        let farewell = WireError(.unavailable, "broker shutting down")
        for service in services.values {
            while let pending = service.queue.popFirst() { sendError(farewell, to: pending) }
        }
        for pending in inFlight.values where !pending.answered { sendError(farewell, to: pending) }
        inFlight.removeAll()
        for worker in workers.values { sendCommand(.disconnect, to: worker) }
        logger.info("broker stopped", metadata: [
            "requests": "\(statistics.requestsReceived)", "replies": "\(statistics.repliesDelivered)",
            "malformed": "\(statistics.malformedMessages)",
        ])
    }

    // MARK: Router input

    /// Reads messages until none is waiting (bounded, so timers and events keep their turn).
    private func drainRouter() {
        var frames: [Frame] = []
        frames.reserveCapacity(8)
        for _ in 0..<512 {
            do {
                guard try router.receiveMessage(into: &frames) else { return }
            } catch {
                logger.error("receive failed", metadata: ["error": "\(error)"])
                return
            }
            handle(frames)
        }
    }

    func handle(_ frames: [Frame]) {
        switch Envelope.parse(frames) {
        case .clientRequest(let dialect, let serviceIndex):
            handleClientRequest(frames, dialect: dialect, serviceIndex: serviceIndex)
        case .worker(let dialect, let command, let arguments):
            handleWorkerCommand(frames, dialect: dialect, command: command, arguments: arguments)
        case .malformed(let reason):
            countMalformed(reason, frames: frames)
        }
    }

    func countMalformed(_ reason: MalformedReason, frames: [Frame]) {
        statistics.malformedMessages += 1
        statistics.malformedByReason[reason.rawValue, default: 0] += 1
        logger.debug("malformed message dropped", metadata: [
            "reason": "\(reason.rawValue)", "frames": "\(frames.count)",
            "peer": "\(frames.first.map { PeerID(bytes: $0.bytes).hex } ?? "-")",
        ])
    }

    func takeToken() -> UInt64 {
        defer { nextToken &+= 1 }
        return nextToken
    }

    func takeSequence() -> UInt64 {
        sequence &+= 1
        return sequence
    }
}

/// A running broker on a thread of its own; stop it from anywhere.
public struct BrokerHandle: Sendable {
    /// The endpoints actually bound.
    public let endpoints: BrokerEndpoints
    let loop: IOLoop

    /// Asks the broker to answer what it holds, disconnect its agents and stop.
    public func stop() { loop.stop() }
}

extension Broker {
    /// Starts a broker on a new thread and returns once its sockets are bound.
    public static func start(_ configuration: BrokerConfiguration, logger: Logger) throws(ZMQError) -> BrokerHandle {
        let loop = IOLoop(name: "colony-broker")
        final class Outcome: Sendable { let result = Mutex<Result<BrokerEndpoints, ZMQError>?>(nil) }
        let outcome = Outcome()
        let bound = DispatchSemaphore(value: 0)
        let thread = Thread {
            do throws(ZMQError) {
                let broker = try Broker(configuration, loop: loop, logger: logger)
                outcome.result.withLock { $0 = .success(broker.boundEndpoints) }
                bound.signal()
                broker.run()
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
                bound.signal()
            }
        }
        thread.name = "colony-broker"
        thread.start()
        bound.wait()
        let endpoints = try outcome.result.withLock { $0! }.get()
        return BrokerHandle(endpoints: endpoints, loop: loop)
    }
}
