import ColonyAccess
import ColonyWire
import Foundation
import Synchronization
import ColonyCore
import ZeroMQ

/// Counters the event proxy keeps and the broker reports in `mmi.stats`.
final class EventCounters: Sendable {
    let eventsForwarded = Atomic<Int>(0)
    let eventsDropped = Atomic<Int>(0)
    let subscriptionsForwarded = Atomic<Int>(0)
}

/// The event side of the broker, on a thread of its own so event traffic never delays
/// request routing: XSUB (publishers connect) → XPUB (subscribers connect), subscriptions
/// flowing back upstream, and the broker's system events arriving over an inproc PULL.
final class EventProxy {
    private let loop: IOLoop
    private let eventsIn: Socket
    private let eventsOut: Socket
    private let systemEvents: Socket
    private let counters: EventCounters
    private let guardian: BrokerGuard?
    private let handshakes: [HandshakeMonitor]

    private init(loop: IOLoop, configuration: BrokerConfiguration, guard guardian: BrokerGuard?, systemEndpoint: String,
                 counters: EventCounters) throws(ZMQError) {
        self.loop = loop
        self.counters = counters
        self.guardian = guardian
        eventsIn = try Socket(.xSubscriber)
        try eventsIn.setMaximumMessageSize(configuration.maxMessageSize)
        try eventsIn.setReceiveHighWaterMark(100_000)
        try guardian?.secure(eventsIn)
        let inputHandshakes = guardian == nil ? nil : try HandshakeMonitor(eventsIn)
        try eventsIn.bind(configuration.endpoints.publish)
        eventsOut = try Socket(.xPublisher)
        try eventsOut.setMaximumMessageSize(configuration.maxMessageSize)
        try eventsOut.setSendHighWaterMark(configuration.eventHighWaterMark)
        try eventsOut.setXPublisherNoDrop(true)
        try guardian?.secure(eventsOut)
        let outputHandshakes = guardian == nil ? nil : try HandshakeMonitor(eventsOut)
        try eventsOut.bind(configuration.endpoints.subscribe)
        handshakes = [inputHandshakes, outputHandshakes].compactMap { $0 }
        systemEvents = try Socket(.pull)
        try systemEvents.connect(systemEndpoint)
    }

    /// Binds the proxy on a new thread and returns the bound (publish, subscribe) endpoints
    /// and the loop that stops it.
    static func start(
        _ configuration: BrokerConfiguration, guard guardian: BrokerGuard?, systemEndpoint: String, counters: EventCounters
    ) throws(ZMQError) -> (publish: String, subscribe: String, loop: IOLoop) {
        let loop = IOLoop(name: "colony-events")
        let bound: (String, String) = try startOnThread(named: "colony-events") { ready in
            let proxy: EventProxy
            do throws(ZMQError) {
                proxy = try EventProxy(loop: loop, configuration: configuration, guard: guardian, systemEndpoint: systemEndpoint,
                                       counters: counters)
            } catch {
                ready(.failure(error))
                return
            }
            ready(.success((proxy.eventsIn.lastEndpoint, proxy.eventsOut.lastEndpoint)))
            proxy.run()
        }
        return (bound.0, bound.1, loop)
    }

    private func run() {
        loop.run { [self] in
            _ = loop.watch(eventsIn) { [unowned self] in
                counters.eventsForwarded.add(forward(from: eventsIn, with: publishIfAllowed), ordering: .relaxed)
            }
            _ = loop.watch(eventsOut) { [unowned self] in
                counters.subscriptionsForwarded.add(forward(from: eventsOut) { (try? eventsIn.send(message: $0)) == true }, ordering: .relaxed)
            }
            _ = loop.watch(systemEvents) { [unowned self] in
                _ = forward(from: systemEvents, with: publish)
            }
            if let guardian, !handshakes.isEmpty {
                loop.scheduleRepeating(every: .milliseconds(200)) { [unowned self] in
                    for monitor in handshakes { guardian.countHandshakes(monitor) }
                }
            }
        }
    }

    /// Moves whole messages from `source` through `send`, zero copy, in bounded batches;
    /// returns how many were sent.
    private func forward(from source: Socket, with send: ([Frame]) -> Bool) -> Int {
        var frames: [Frame] = []
        var moved = 0
        for _ in 0..<512 {
            // false: nothing more waits; a throw means the socket is closing. Either ends the batch.
            guard (try? source.receiveMessage(into: &frames)) == true else { break }
            if send(frames) { moved += 1 }
        }
        return moved
    }

    /// Publishes an event from a peer if its key may publish on the topic (the first frame);
    /// a refused one is dropped and counted. Without security every event goes through.
    private func publishIfAllowed(_ frames: [Frame]) -> Bool {
        if let guardian {
            guard let first = frames.first, let sender = guardian.sender(of: first) else {
                guardian.count(.revokedKey)
                return false
            }
            guard AccessPolicy.mayPublish(first.string ?? "", sender) else {
                guardian.count(.publish)
                return false
            }
        }
        return publish(frames)
    }

    /// Sends an event to its subscribers. XPUB runs in no-drop mode, so a send that would
    /// pass some subscriber's high-water mark fails instead of skipping it silently: that is
    /// counted, and the event goes out again in lossy mode to everyone who has room.
    private func publish(_ frames: [Frame]) -> Bool {
        if (try? eventsOut.send(message: frames)) == true { return true }
        counters.eventsDropped.add(1, ordering: .relaxed)
        try? eventsOut.setXPublisherNoDrop(false)
        defer { try? eventsOut.setXPublisherNoDrop(true) }
        return (try? eventsOut.send(message: frames)) == true
    }
}
