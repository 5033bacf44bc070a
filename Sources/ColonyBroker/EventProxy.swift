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
    /// Messages of more than `ReceivedMessage`'s 1,024 frames, dropped (malformed `too_many_frames`).
    let tooManyFrames = Atomic<Int>(0)
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
    private let journal: EventJournal
    private let guardian: BrokerGuard?
    private let handshakes: [HandshakeMonitor]
    /// Where each message is received (on the proxy's thread only), at most 1,024 frames kept.
    private let received = ReceivedMessage()

    private init(loop: IOLoop, configuration: BrokerConfiguration, guard guardian: BrokerGuard?, systemEndpoint: String,
                 counters: EventCounters, journal: EventJournal) throws(ZMQError) {
        self.loop = loop
        self.counters = counters
        self.journal = journal
        self.guardian = guardian
        eventsIn = try Socket(.xSubscriber)
        try eventsIn.setMaximumMessageSize(configuration.maxMessageSize)
        try eventsIn.setReceiveHighWaterMark(100_000)
        try guardian?.secure(eventsIn)
        let inputHandshakes = guardian == nil ? nil : try HandshakeMonitor(eventsIn)
        // Every event is journaled, so publishers must send every event, wanted by a
        // subscriber or not: the XSUB subscribes to everything, and each publisher that
        // connects learns it (a PUB drops what nobody subscribed to).
        try eventsIn.send(message: [Frame([1])])
        try eventsIn.bind(configuration.endpoints.publish)
        eventsOut = try Socket(.xPublisher)
        // Subscribers send only subscriptions: one of a longer prefix (a 1 MB prefix costs
        // libzmq's trie ~32 MB) disconnects its sender. ZMTP 3.1 frames a subscription as a
        // command, 10 bytes of name before the prefix (ZMTP 3.0's message: 1 byte).
        try eventsOut.setMaximumMessageSize(Int64(Topics.maximumSubscriptionPrefixBytes + 10))
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
        _ configuration: BrokerConfiguration, guard guardian: BrokerGuard?, systemEndpoint: String, counters: EventCounters,
        journal: EventJournal
    ) throws(ZMQError) -> (publish: String, subscribe: String, loop: IOLoop) {
        let loop = IOLoop(name: "colony-events")
        let bound: (String, String) = try startOnThread(named: "colony-events") { ready in
            let proxy: EventProxy
            do throws(ZMQError) {
                proxy = try EventProxy(loop: loop, configuration: configuration, guard: guardian, systemEndpoint: systemEndpoint,
                                       counters: counters, journal: journal)
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
                counters.eventsForwarded.add(journalAndPublish(from: eventsIn, admit: mayPublish), ordering: .relaxed)
            }
            _ = loop.watch(eventsOut) { [unowned self] in
                // The XSUB takes everything already (see `init`): subscribers' subscriptions
                // are counted, not passed on to publishers.
                counters.subscriptionsForwarded.add(forward(from: eventsOut) { _ in true }, ordering: .relaxed)
            }
            _ = loop.watch(systemEvents) { [unowned self] in
                _ = journalAndPublish(from: systemEvents) { _ in true }
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
        var moved = 0
        for _ in 0..<512 {
            guard let frames = receive(from: source) else { break }
            if !frames.isEmpty, send(frames) { moved += 1 }
        }
        return moved
    }

    /// Takes a bounded batch of events from `source`, journals the admitted ones and then
    /// publishes them (so whatever a subscriber got, a journal reader finds); returns how many
    /// were sent.
    private func journalAndPublish(from source: Socket, admit: ([Frame]) -> Bool) -> Int {
        var batch: [[Frame]] = []
        for _ in 0..<512 {
            guard let frames = receive(from: source) else { break }
            if !frames.isEmpty, admit(frames) { batch.append(frames) }
        }
        _ = journal.append(batch)
        return batch.reduce(0) { $0 + (publish($1) ? 1 : 0) }
    }

    /// The next message's frames (their content moved, not copied); empty for a message of more
    /// frames than the proxy keeps (dropped and counted); nil when nothing more waits or the
    /// socket is closing.
    private func receive(from source: Socket) -> [Frame]? {
        guard (try? source.receiveMessage(into: received)) == true else { return nil }
        guard !received.overflowed else {
            counters.tooManyFrames.add(1, ordering: .relaxed)
            return []
        }
        return received.parts.map(Frame.init(taking:))
    }

    /// Whether an event from a peer may go out: its key may publish on the topic (the first
    /// frame); a refused one is counted. Without security every event goes through.
    private func mayPublish(_ frames: [Frame]) -> Bool {
        guard let guardian else { return true }
        guard let first = frames.first, let sender = guardian.sender(of: first.part) else {
            guardian.count(.revokedKey)
            return false
        }
        guard AccessPolicy.mayPublish(first.string ?? "", sender) else {
            guardian.count(.publish)
            return false
        }
        return true
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
