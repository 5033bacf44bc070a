import ColonyWire
import Foundation
import ColonyCore
import ZeroMQ

/// Sends capability requests to a broker and awaits their replies.
///
/// One client multiplexes any number of concurrent requests over one DEALER socket
/// (MDP/0.2 framing plus a Colony header carrying a request id). The actor runs on the
/// process's I/O thread, which owns the socket, so a request costs no thread hop beyond
/// the caller's own.
public actor ColonyClient {
    /// The broker's endpoints.
    public nonisolated let endpoints: BrokerEndpoints
    nonisolated let loop: IOLoop
    /// How long a request waits for the broker connection before failing as unreachable.
    public nonisolated let connectTimeout: Duration

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private enum Waiter {
        case single(CheckedContinuation<Result<Reply, RequestError>, Never>)
        case stream(AsyncThrowingStream<Reply, any Error>.Continuation)
    }

    private struct Call {
        let capability: String
        let waiter: Waiter
        let timer: IOLoop.TimerID
        /// Told which agent instance the broker gave the request to (before it runs there).
        let dispatched: (@Sendable (String) -> Void)?
        /// Frames not yet accepted by the socket (no broker connection yet), and until when to retry.
        var unsent: [Frame]?
        var connectDeadline: MonotonicTime
    }

    private var socket: Socket?
    private var watch: IOLoop.WatchID?
    private var calls: [UInt64: Call] = [:]
    private var nextRequestID: UInt64 = 1
    private var retryTimer: IOLoop.TimerID?

    /// The CURVE credentials it connects with; nil for a broker that does not require them.
    public nonisolated let credentials: Credentials?

    /// What its requests for a capability no agent has offered do: wait for one (MDP's way),
    /// or fail at once with the nearest offered name (people at a shell, the orchestrator).
    public nonisolated let unoffered: UnofferedCapabilities

    /// A client of the broker at `endpoints`, authenticated with `credentials` (by default the
    /// environment's `COLONY_CURVE_*`).
    public init(endpoints: BrokerEndpoints, credentials: Credentials? = .ambient, connectTimeout: Duration = .seconds(2),
                unoffered: UnofferedCapabilities = .wait, loop: IOLoop = ColonyIO.loop) {
        self.endpoints = endpoints
        self.credentials = credentials
        self.connectTimeout = connectTimeout
        self.unoffered = unoffered
        self.loop = loop
    }

    /// The loop holds the socket while it watches it: ask it (on its own thread, the socket's
    /// owner) to let go, which closes the socket. (`isolated deinit` would say this more
    /// directly, but Swift 6.3's optimizer rejects it here with "circular reference".)
    deinit {
        guard let watch else { return }
        let loop = self.loop
        loop.execute { loop.unwatch(watch) }
    }

    // MARK: Requests

    /// Sends `body` to `capability` and returns the final reply, or throws why not.
    /// `instance` addresses one agent instance (from the directory) instead of any agent
    /// offering the capability; `leadership` sends it under a group's leadership term, which
    /// the agent refuses when it knows a newer one (fencing). `preferredInstance` asks for that
    /// instance while it is connected (a re-sent attempt goes back where it went before), and
    /// `dispatched` is told which instance the broker gave the request to, before it runs.
    public func request(
        _ capability: String, body: [[UInt8]], timeout: Duration = .seconds(30),
        metadata: RequestMetadata? = nil, instance: String? = nil, leadership: Leadership? = nil,
        preferredInstance: String? = nil, dispatched: (@Sendable (String) -> Void)? = nil
    ) async throws(RequestError) -> Reply {
        let id = takeRequestID()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Reply, RequestError>, Never>) in
                start(id: id, capability: capability, body: body, timeout: timeout, metadata: metadata, instance: instance,
                      leadership: leadership, preferredInstance: preferredInstance, dispatched: dispatched, waiter: .single(continuation))
            }
        } onCancel: {
            loop.execute { [weak self] in
                self?.assumeIsolated { $0.finish(id, with: .failure(.cancelled)) }
            }
        }
        return try result.get()
    }

    /// Sends `input` as JSON to `capability` and decodes the reply as `Output`.
    public func request<Input: Encodable & Sendable, Output: Decodable>(
        _ capability: String, _ input: Input, as output: Output.Type = Output.self,
        timeout: Duration = .seconds(30), metadata: RequestMetadata? = nil, instance: String? = nil
    ) async throws(RequestError) -> Output {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(input))
        } catch {
            throw .invalidInput("\(error)")
        }
        return try await request(capability, body: [body], timeout: timeout, metadata: metadata, instance: instance).decode(Output.self)
    }

    /// Sends `body` to `capability` and yields each partial reply, then the final one.
    public nonisolated func stream(
        _ capability: String, body: [[UInt8]], timeout: Duration = .seconds(30), metadata: RequestMetadata? = nil
    ) -> AsyncThrowingStream<Reply, any Error> {
        let inherited = metadata ?? RequestMetadata.current
        return AsyncThrowingStream { continuation in
            loop.execute { [self] in
                assumeIsolated { client in
                    let id = client.takeRequestID()
                    continuation.onTermination = { [loop] _ in
                        loop.execute { [weak client] in
                            client?.assumeIsolated { $0.finish(id, with: .failure(.cancelled)) }
                        }
                    }
                    client.start(id: id, capability: capability, body: body, timeout: timeout, metadata: inherited, instance: nil,
                                 leadership: nil, preferredInstance: nil, dispatched: nil, waiter: .stream(continuation))
                }
            }
        }
    }

    /// Asks the broker a management question (`mmi.service`, `mmi.directory`, `mmi.stats`).
    public func management(_ service: String, argument: String? = nil, timeout: Duration = .seconds(5)) async throws(RequestError) -> Reply {
        try await request(service, body: argument.map { [Array($0.utf8)] } ?? [], timeout: timeout)
    }

    /// The broker's directory of agents and capabilities.
    public func directory(timeout: Duration = .seconds(5)) async throws(RequestError) -> Directory {
        try await management(ManagementService.directory, timeout: timeout).decode(Directory.self)
    }

    /// The broker's counters.
    public func statistics(timeout: Duration = .seconds(5)) async throws(RequestError) -> BrokerStatistics {
        try await management(ManagementService.stats, timeout: timeout).decode(BrokerStatistics.self)
    }

    /// Closes the socket; requests still waiting fail as cancelled.
    public func close() {
        for id in Array(calls.keys) { finish(id, with: .failure(.cancelled)) }
        if let watch { loop.unwatch(watch) }
        watch = nil
        socket = nil
    }

    // MARK: Internals

    private func takeRequestID() -> UInt64 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    private func start(
        id: UInt64, capability: String, body: [[UInt8]], timeout: Duration,
        metadata: RequestMetadata?, instance: String?, leadership: Leadership?,
        preferredInstance: String?, dispatched: (@Sendable (String) -> Void)?, waiter: Waiter
    ) {
        let now = MonotonicTime.now()
        let deadlineMilliseconds = WallClock.nowMilliseconds() + UInt64(max(0, timeout.milliseconds))
        var header = (metadata ?? RequestMetadata.current ?? RequestMetadata())
            .header(requestID: id, deadlineMilliseconds: deadlineMilliseconds)
        header.targetInstance = instance
        header.preferredInstance = preferredInstance
        header.wantsDispatchNotice = dispatched != nil
        header.failIfUnoffered = unoffered == .fail
        if let leadership {
            header.groups = [leadership.group.rawValue]
            header.term = leadership.term
            if leadership.expiresAtMilliseconds > 0 {
                header.leaseExpiresAtMilliseconds = leadership.expiresAtMilliseconds
                header.timestampMilliseconds = WallClock.nowMilliseconds()
            }
        }
        var frames = [Frame(MDP.client02), Frame([MDP.ClientCommand.request.rawValue]), Frame(capability), Frame(header.encoded())]
        frames += body.map { Frame($0) }
        // The broker answers at the deadline; this timer only covers a broker that never does.
        let grace = Duration.milliseconds(min(1000, max(100, Int64(timeout.milliseconds / 10))))
        let timer = loop.schedule(at: now + timeout + grace) { [weak self] in
            self?.assumeIsolated {
                $0.finish(id, with: .failure(.timedOut(capability: capability, message: "no reply from \(capability) within \(timeout)")))
            }
        }
        calls[id] = Call(
            capability: capability, waiter: waiter, timer: timer, dispatched: dispatched, unsent: frames,
            connectDeadline: now + min(timeout, connectTimeout)
        )
        flush(id)
    }

    /// Tries to hand a call's frames to the socket; with IMMEDIATE set, that fails until
    /// the broker connection is up, so unsent calls are retried until their connect deadline.
    private func flush(_ id: UInt64) {
        guard let frames = calls[id]?.unsent else { return }
        do {
            if try connectedSocket().send(message: frames) {
                calls[id]?.unsent = nil
                return
            }
        } catch {
            finish(id, with: .failure(.brokerUnreachable(endpoint: endpoints.requests)))
            return
        }
        if let call = calls[id], call.connectDeadline <= .now() {
            finish(id, with: .failure(.brokerUnreachable(endpoint: endpoints.requests)))
            return
        }
        if retryTimer == nil {
            retryTimer = loop.schedule(after: .milliseconds(5)) { [weak self] in
                self?.assumeIsolated { client in
                    client.retryTimer = nil
                    for id in client.calls.keys where client.calls[id]?.unsent != nil { client.flush(id) }
                }
            }
        }
    }

    private func connectedSocket() throws(ZMQError) -> Socket {
        if let socket { return socket }
        let socket = try Socket(.dealer)
        try socket.setMaximumMessageSize(MessageLimits.defaultMaximumSize)
        try socket.setImmediate(true)
        try socket.setSendHighWaterMark(100_000)
        try socket.setReceiveHighWaterMark(100_000)
        try socket.setReconnectInterval(milliseconds: 50, max: 1000)
        if let credentials { try socket.useCurve(credentials.curveRole) }
        try socket.connect(endpoints.requests)
        self.socket = socket
        watch = loop.watch(socket) { [weak self] in
            self?.assumeIsolated { $0.receiveReplies() }
        }
        return socket
    }

    private func receiveReplies() {
        guard let socket else { return }
        var frames: [Frame] = []
        for _ in 0..<1024 {
            // false: nothing more waits; a throw means the socket is closing. Either ends the batch.
            guard (try? socket.receiveMessage(into: &frames)) == true else { return }
            handleReply(frames)
        }
    }

    private func handleReply(_ frames: [Frame]) {
        // [""]?, "MDPC02", PARTIAL|FINAL, service, header, body...
        var index = frames.first?.isEmpty == true ? 1 : 0
        guard frames.count >= index + 4, frames[index].holds(MDP.client02),
              let command = frames[index + 1].onlyByte,
              command == MDP.ClientCommand.partial.rawValue || command == MDP.ClientCommand.final.rawValue
        else { return }
        index += 3
        // A reply whose header does not decode cannot be matched to its request: dropped, and the
        // request times out (the broker's malformed count says why).
        guard ColonyHeader.isHeader(frames[index]), let header = try? ColonyHeader(decoding: frames[index]),
              let id = header.requestID, let call = calls[id]
        else { return }
        let body = frames[(index + 1)...].map(\.bytes)
        if let error = header.error {
            finish(id, with: .failure(RequestError(error, capability: call.capability)))
            return
        }
        let reply = Reply(header: header, body: body, isPartial: command == MDP.ClientCommand.partial.rawValue)
        if reply.isPartial, let instance = header.dispatchedTo {
            call.dispatched?(instance)
            return
        }
        if reply.isPartial {
            if case .stream(let continuation) = call.waiter { continuation.yield(reply) }
            return
        }
        finish(id, with: .success(reply))
    }

    private func finish(_ id: UInt64, with result: Result<Reply, RequestError>) {
        guard let call = calls.removeValue(forKey: id) else { return }
        loop.cancel(call.timer)
        switch call.waiter {
        case .single(let continuation):
            continuation.resume(returning: result)
        case .stream(let continuation):
            switch result {
            case .success(let reply):
                continuation.yield(reply)
                continuation.finish()
            case .failure(let error):
                continuation.finish(throwing: error)
            }
        }
    }
}
