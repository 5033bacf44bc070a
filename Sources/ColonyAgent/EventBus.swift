import ColonyWire
import Foundation
import ColonyCore
import ZeroMQ

/// An event as subscribers receive it.
public struct Event: Sendable, Hashable {
    /// The dotted topic (`market.tick`).
    public var topic: String
    /// The event's Colony header (correlation id, publisher, timestamp), if it had one.
    public var header: ColonyHeader?
    /// The payload, usually JSON.
    public var payload: [UInt8]

    public init(topic: String, header: ColonyHeader?, payload: [UInt8]) {
        self.topic = topic
        self.header = header
        self.payload = payload
    }

    /// The payload as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// Parses `[topic, header?, payload...]`; nil if the topic is not UTF-8.
    init?(frames: [Frame]) {
        guard let first = frames.first, let topic = first.string else { return nil }
        var index = 1
        var header: ColonyHeader?
        if index < frames.count, ColonyHeader.isHeader(frames[index]) {
            // An event whose header does not decode is delivered without one.
            header = try? ColonyHeader(decoding: frames[index])
            index += 1
        }
        self.init(topic: topic, header: header, payload: frames[index...].flatMap(\.bytes))
    }
}

/// Publishes events into the broker's event proxy (its publish endpoint).
public actor Publisher {
    public nonisolated let endpoints: BrokerEndpoints
    nonisolated let loop: IOLoop
    /// The name put in published events' headers.
    public nonisolated let source: String?
    private var socket: Socket?
    private var monitor: ConnectionMonitor?
    /// Whether the broker's subscription has been seen (it then takes every event).
    private var subscribed = false

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    /// The CURVE credentials it connects with; nil for a broker that does not require them.
    public nonisolated let credentials: Credentials?

    public init(endpoints: BrokerEndpoints, source: String? = nil, credentials: Credentials? = .ambient, loop: IOLoop = ColonyIO.loop) {
        self.endpoints = endpoints
        self.source = source
        self.credentials = credentials
        self.loop = loop
    }

    /// Connects now, so that events published soon after are not lost while connecting.
    public func connect() throws(ZMQError) {
        _ = try connectedSocket()
    }

    /// Connects and waits until the broker takes events: the connection is up (ZeroMQ
    /// handshake done) and the broker's subscription has arrived over it; false if that did
    /// not happen within `timeout`. A publisher drops what it sends before then, so callers
    /// that must not lose events silently ask.
    public func waitUntilConnected(timeout: Duration) async throws(ZMQError) -> Bool {
        let socket = try connectedSocket()
        let deadline = ContinuousClock.now + timeout
        while !subscribed {
            // An XPUB hands up subscriptions as messages whose first byte is 1.
            if monitor?.poll() != false, let message = try socket.receiveMessage(), message.first?.bytes.first == 1 {
                subscribed = true
                break
            }
            guard ContinuousClock.now < deadline else { return false }
            // Cancelled: the deadline check above ends the wait on the next turn.
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Publishes `payload` on `topic`. Metadata defaults to that of the message being handled.
    public func publish(_ topic: String, payload: [UInt8], metadata: RequestMetadata? = nil) throws(ZMQError) {
        let meta = metadata ?? RequestMetadata.current ?? RequestMetadata()
        var header = meta.header()
        header.agent = source
        header.timestampMilliseconds = WallClock.nowMilliseconds()
        let frames = [Frame(topic), Frame(header.encoded()), Frame(payload)]
        try connectedSocket().send(message: frames, wait: false)
    }

    /// Publishes `value` encoded as JSON on `topic`.
    public func publish<T: Encodable & Sendable>(_ topic: String, _ value: T, metadata: RequestMetadata? = nil) throws {
        try publish(topic, payload: JSONCoding.encode(value), metadata: metadata)
    }

    /// Closes the socket, waiting up to `linger` for queued events to leave.
    public func close(linger: Duration = .zero) {
        // Best effort: without it queued events are dropped at close, as with linger zero.
        if let socket, linger > .zero { try? socket.setLinger(milliseconds: Int32(clamping: Int64(linger.milliseconds))) }
        monitor = nil
        socket = nil
        subscribed = false
    }

    private func connectedSocket() throws(ZMQError) -> Socket {
        if let socket { return socket }
        // An XPUB, not a PUB: it sends the same way, and shows when the broker's subscription
        // arrives (`waitUntilConnected`).
        let socket = try Socket(.xPublisher)
        try socket.setSendHighWaterMark(100_000)
        monitor = try ConnectionMonitor(socket)
        if let credentials { try socket.useCurve(credentials.curveRole) }
        try socket.connect(endpoints.publish)
        self.socket = socket
        return socket
    }
}

/// Receives events from the broker's event proxy (its subscribe endpoint).
public actor Subscriber {
    public nonisolated let endpoints: BrokerEndpoints
    nonisolated let loop: IOLoop
    private var socket: Socket?
    private var watch: IOLoop.WatchID?
    private var continuation: AsyncStream<Event>.Continuation?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    /// The CURVE credentials it connects with; nil for a broker that does not require them.
    public nonisolated let credentials: Credentials?

    public init(endpoints: BrokerEndpoints, credentials: Credentials? = .ambient, loop: IOLoop = ColonyIO.loop) {
        self.endpoints = endpoints
        self.credentials = credentials
        self.loop = loop
    }

    /// Lets the loop drop (and so close) the socket on its own thread, and ends the stream.
    deinit {
        continuation?.finish()
        guard let watch else { return }
        let loop = self.loop
        loop.execute { loop.unwatch(watch) }
    }

    /// Subscribes to topics starting with any of `prefixes` (`""` = all; `a.*` means `a.`)
    /// and returns the events as they arrive. One stream per subscriber. A prefix is at most
    /// `Topics.maximumSubscriptionPrefixBytes` (the broker disconnects a subscriber sending more).
    public func subscribe(_ prefixes: [String]) throws(ZMQError) -> AsyncStream<Event> {
        precondition(prefixes.allSatisfy(Topics.fitsSubscription), "a topic prefix is at most \(Topics.maximumSubscriptionPrefixBytes) bytes")
        let socket = try Socket(.subscriber)
        try socket.setMaximumMessageSize(MessageLimits.defaultMaximumSize)
        try socket.setReceiveHighWaterMark(100_000)
        for prefix in prefixes.isEmpty ? [""] : prefixes {
            try socket.subscribe(Topics.subscriptionPrefix(for: prefix))
        }
        if let credentials { try socket.useCurve(credentials.curveRole) }
        try socket.connect(endpoints.subscribe)
        self.socket = socket
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        self.continuation = continuation
        continuation.onTermination = { [loop] _ in
            loop.execute { [weak self] in self?.assumeIsolated { $0.close() } }
        }
        watch = loop.watch(socket) { [weak self] in self?.assumeIsolated { $0.receive() } }
        return stream
    }

    /// Stops the subscription and ends the stream.
    public func close() {
        if let watch { loop.unwatch(watch) }
        watch = nil
        socket = nil
        continuation?.finish()
        continuation = nil
    }

    private func receive() {
        guard let socket else { return }
        var frames: [Frame] = []
        for _ in 0..<1024 {
            // false: nothing more waits; a throw means the socket is closing. Either ends the batch.
            guard (try? socket.receiveMessage(into: &frames)) == true else { return }
            if let event = Event(frames: frames) { continuation?.yield(event) }
        }
    }
}
