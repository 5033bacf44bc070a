import ColonyWire
import Foundation
import Synchronization
import ColonyCore
import ZeroMQ

/// Counters the event proxy keeps and the broker reports in `mmi.stats`.
final class EventCounters: Sendable {
    let eventsForwarded = Atomic<Int>(0)
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

    private init(loop: IOLoop, endpoints: BrokerEndpoints, systemEndpoint: String, counters: EventCounters) throws(ZMQError) {
        self.loop = loop
        self.counters = counters
        eventsIn = try Socket(.xSubscriber)
        try eventsIn.setReceiveHighWaterMark(100_000)
        try eventsIn.bind(endpoints.publish)
        eventsOut = try Socket(.xPublisher)
        try eventsOut.setSendHighWaterMark(100_000)
        try eventsOut.bind(endpoints.subscribe)
        systemEvents = try Socket(.pull)
        try systemEvents.connect(systemEndpoint)
    }

    /// Binds the proxy on a new thread and returns the bound (publish, subscribe) endpoints
    /// and the loop that stops it.
    static func start(
        endpoints: BrokerEndpoints, systemEndpoint: String, counters: EventCounters
    ) throws(ZMQError) -> (publish: String, subscribe: String, loop: IOLoop) {
        let loop = IOLoop(name: "colony-events")
        let bound: (String, String) = try startOnThread(named: "colony-events") { ready in
            let proxy: EventProxy
            do throws(ZMQError) {
                proxy = try EventProxy(loop: loop, endpoints: endpoints, systemEndpoint: systemEndpoint, counters: counters)
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
                counters.eventsForwarded.add(forward(from: eventsIn, to: eventsOut), ordering: .relaxed)
            }
            _ = loop.watch(eventsOut) { [unowned self] in
                counters.subscriptionsForwarded.add(forward(from: eventsOut, to: eventsIn), ordering: .relaxed)
            }
            _ = loop.watch(systemEvents) { [unowned self] in
                _ = forward(from: systemEvents, to: eventsOut)
            }
        }
    }

    /// Moves whole messages from one socket to the other, zero copy, in bounded batches;
    /// returns how many it moved.
    private func forward(from source: Socket, to destination: Socket) -> Int {
        var frames: [Frame] = []
        var moved = 0
        for _ in 0..<512 {
            guard (try? source.receiveMessage(into: &frames)) == true else { break }
            if (try? destination.send(message: frames)) == true { moved += 1 }
        }
        return moved
    }
}
