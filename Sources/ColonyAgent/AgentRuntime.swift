import ColonyWire
import Dispatch
import Foundation
import Logging
import ColonyCore
import ZeroMQ

/// Runs one agent: its worker connection to the broker (MDP/0.2 with Colony's header),
/// heartbeats, reconnects, handler tasks, event subscription and graceful shutdown.
///
/// The actor's executor is the I/O thread that owns its sockets.
actor AgentRuntime {
    let agent: Agent
    let options: AgentOptions
    nonisolated let loop: IOLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private var logger: Logger
    private var worker: Socket?
    private var workerWatch: IOLoop.WatchID?
    private var lastHeard = MonotonicTime.now()
    private var lastSent = MonotonicTime.now()
    private var reconnectDelay: Duration
    private var reconnectTimer: IOLoop.TimerID?
    private var heartbeatTimer: IOLoop.TimerID?
    /// Request handlers running.
    private var inFlight = 0
    /// Event handlers and callbacks (`onRunFailed`, `onLeadership`) running: shutdown waits
    /// for them too.
    private var backgroundWork = 0
    private var busy: Int { inFlight + backgroundWork }
    private var draining = false
    private var stopped: CheckedContinuation<Void, Never>?
    private var isStopped = false
    private var subscriber: Subscriber?
    private var eventTask: Task<Void, Never>?
    /// The failure gate: runs known to have failed or been cancelled.
    private var failedRuns: EndedRunTables
    /// Handlers skipped because their run had failed, by the run's status.
    private(set) var skipped: [String: Int] = [:]
    /// Whether `skipped` changed since the broker was last told.
    private var skipsToReport = false
    let publisher: Publisher
    /// Replies by idempotency key, for repeated deliveries.
    private var idempotency: IdempotencyCache
    /// Handler starts and ends, when journaling is on.
    nonisolated let journal: ExecutionJournal?
    /// This process's id on the bus: requests can be addressed to it alone.
    nonisolated let instance: String
    /// Who leads which group, as announced; fences requests with stale terms.
    private var leadership: LeadershipTracker
    /// The orchestrator's clock as far as this agent can tell; fences requests whose lease lapsed.
    private var leaseClock = LeaseClock()
    /// Asks the broker about ended runs (one connection, kept: confirming an event must not
    /// wait for a new connection's handshake).
    private nonisolated let gateClient: ColonyClient
    /// The capability descriptions READY announces (nil when none, or too large to announce).
    private let announcedDescriptions: String?

    init(agent: Agent, options: AgentOptions, loop: IOLoop = ColonyIO.loop) {
        self.agent = agent
        self.options = options
        self.loop = loop
        self.reconnectDelay = options.reconnectBackoff.initial
        var logger = options.logger
        logger[metadataKey: "agent"] = "\(agent.name)"
        self.logger = logger
        self.publisher = Publisher(endpoints: options.endpoints, source: agent.name, credentials: options.credentials, loop: loop)
        self.gateClient = ColonyClient(endpoints: options.endpoints, credentials: options.credentials, loop: loop)
        self.failedRuns = EndedRunTables(capacity: options.failedRunCapacity, timeToLive: options.failedRunTimeToLive)
        self.idempotency = IdempotencyCache(capacity: options.idempotencyCacheSize)
        self.journal = options.executionJournal.flatMap { ExecutionJournal(path: $0) }
        let instance = options.instance ?? "\(agent.name)-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        self.instance = instance
        self.leadership = LeadershipTracker(instance: InstanceID(instance))
        self.announcedDescriptions = CapabilityDescriptions.encoded(agent.descriptions)
        if announcedDescriptions == nil, !agent.descriptions.isEmpty {
            logger.warning("capability descriptions exceed \(CapabilityDescriptions.maximumBytes) bytes; not announced")
        }
    }

    // MARK: Failure gate

    /// How `run` ended, if the gate knows it did (failed, cancelled or completed).
    func ending(of run: String?) -> FailedRun? {
        guard let run else { return nil }
        failedRuns.expire(now: .now())
        return failedRuns.ending(of: run)
    }

    /// The failure of `run`, if it failed or was cancelled (no handler may work on it).
    func failure(of run: String?) -> FailedRun? {
        guard let ended = ending(of: run), ended.stopsWork else { return nil }
        return ended
    }

    /// Records ended runs; each newly failed one is logged and reported to `onRunFailed` handlers.
    func learn(_ runs: [FailedRun]) {
        for ended in runs.compactMap(\.bounded) where failedRuns.record(ended, now: .now()) {
            journal?.record(.learned, agent: agent.name, handler: "gate", metadata: RequestMetadata(correlationID: ended.run), detail: ended.status.rawValue)
            guard ended.stopsWork else { continue }
            logger.debug("run \(ended.status); its handlers will be skipped", metadata: [
                "correlation_id": "\(ended.run)", "reason": "\(ended.reason)",
            ])
            for handler in agent.runFailedHandlers { track { await handler(ended) } }
        }
    }

    /// Runs `work` in a task that shutdown waits for (within the grace period).
    private func track(_ work: @escaping @Sendable () async -> Void) {
        backgroundWork += 1
        Task { [weak self] in
            await work()
            await self?.backgroundWorkEnded()
        }
    }

    private func backgroundWorkEnded() {
        backgroundWork -= 1
        if draining && busy == 0 { finish() }
    }

    /// Whether a handler may start for `run`; if not, logs one line naming the handler, the
    /// run and the reason, counts it, and publishes a `SkipReport`. Failed and cancelled runs
    /// stop every handler; completed ones stop event handlers that did not opt in.
    private func gateStops(_ handler: String, run: String?, isEvent: Bool = false, includesFinishedRuns: Bool = false,
                           metadata: RequestMetadata, logger handlerLogger: Logger) -> FailedRun? {
        guard let ended = ending(of: run) else { return nil }
        if !ended.stopsWork && (!isEvent || includesFinishedRuns) { return nil }
        skipped[ended.status.rawValue, default: 0] += 1
        skipsToReport = true
        handlerLogger.info("skipping handler: run \(ended.status)", metadata: [
            "handler": "\(handler)", "correlation_id": "\(ended.run)", "reason": "\(ended.reason)",
        ])
        journal?.record(.skipped, agent: agent.name, handler: handler, metadata: metadata, detail: "run \(ended.status): \(ended.reason)")
        let report = SkipReport(run: ended.run, agent: agent.name, handler: handler, status: ended.status, reason: ended.reason)
        let publisher = self.publisher, logger = self.logger
        Task {
            do {
                try await publisher.publish(Topics.workflowSkipped, report, metadata: RequestMetadata())
            } catch {
                logger.debug("cannot publish a skip report", metadata: ["correlation_id": "\(report.run)", "error": "\(error)"])
            }
        }
        return ended
    }

    private nonisolated var gate: RunGate {
        RunGate { [weak self] run in await self?.failure(of: run) }
    }

    /// Learns an ended run from an event only once the broker confirms it: anyone can publish
    /// `workflow.failed`, but only the orchestrator can tell the broker (`mmi.gate.fail`), so
    /// a forged event does not stop a live run's work. Runs already known need no check.
    private func confirmAndLearn(_ announced: FailedRun) {
        if let known = ending(of: announced.run), known.status == announced.status { return }
        let client = gateClient, logger = self.logger
        Task { [weak self] in
            let reply: Reply
            do {
                reply = try await client.request(ManagementService.gateCheck, body: [Array(announced.run.utf8)], timeout: .seconds(5))
            } catch {
                // Unconfirmed is not learned: the catch-up after a reconnect asks again.
                logger.warning("cannot ask the broker to confirm an ended run", metadata: ["correlation_id": "\(announced.run)", "error": "\(error)"])
                return
            }
            do {
                await self?.learn([try reply.decode(FailedRun.self)])
            } catch {
                await self?.ignoreUnconfirmed(announced)
            }
        }
    }

    private func ignoreUnconfirmed(_ announced: FailedRun) {
        logger.warning("ignoring an ended-run event the broker does not confirm", metadata: [
            "correlation_id": "\(announced.run)", "status": "\(announced.status)",
        ])
    }

    /// Asks the broker which runs failed while this agent was not listening; once now and
    /// once more a few seconds later, because a broker that has just restarted learns them
    /// again from the orchestrator only after it has seen the restart.
    private func catchUpOnFailedRuns() {
        let client = gateClient, logger = self.logger
        Task { [weak self] in
            for delay in [Duration.zero, .seconds(4)] {
                do {
                    try await Task.sleep(for: delay)
                    await self?.learn(try await client.request(ManagementService.failedRuns, body: [], timeout: .seconds(5)).decode([FailedRun].self))
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("cannot catch up on ended runs from the broker", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    // MARK: Lifecycle

    func run() async throws {
        if !agent.capabilities.isEmpty { try connectWorker() }
        try await startEvents()
        do {
            try await publisher.connect()
        } catch {
            logger.warning("cannot connect the event publisher; publishing will retry", metadata: ["error": "\(error)"])
        }
        heartbeatTimer = loop.scheduleRepeating(every: options.heartbeatInterval / 2) { [weak self] in
            self?.assumeIsolated { $0.heartbeatTick() }
        }
        logger.info("agent started", metadata: [
            "capabilities": "\(agent.capabilityOrder.joined(separator: ","))",
            "events": "\(agent.eventHandlers.map(\.prefix).joined(separator: ","))",
            "concurrency": "\(agent.concurrency)", "broker": "\(options.endpoints.requests)",
            "pid": "\(ProcessInfo.processInfo.processIdentifier)",
        ])
        if !isStopped {
            // Cancelling the task that runs the agent stops it gracefully, like SIGTERM.
            await withTaskCancellationHandler {
                await withCheckedContinuation { stopped = $0 }
            } onCancel: { [loop] in
                loop.execute { [weak self] in self?.assumeIsolated { $0.shutDown() } }
            }
        }
    }

    /// Stops taking work, lets what runs finish (up to the grace period), then leaves.
    func shutDown() {
        guard !draining else { return }
        draining = true
        logger.info("agent stopping", metadata: ["in_flight": "\(inFlight)", "events_in_flight": "\(backgroundWork)"])
        // Capacity 0 tells the broker to send nothing new while in-flight work finishes.
        sendHeartbeat(header: ColonyHeader(capacity: 0))
        eventTask?.cancel()
        if busy == 0 {
            finish()
        } else {
            loop.schedule(after: options.shutdownGrace) { [weak self] in
                self?.assumeIsolated { runtime in
                    if !runtime.isStopped {
                        runtime.logger.warning("grace period over; abandoning in-flight work", metadata: [
                            "in_flight": "\(runtime.inFlight)", "events_in_flight": "\(runtime.backgroundWork)",
                        ])
                        runtime.finish()
                    }
                }
            }
        }
    }

    private func finish() {
        guard !isStopped else { return }
        isStopped = true
        if let heartbeatTimer { loop.cancel(heartbeatTimer) }
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        if let subscriber { Task { await subscriber.close() } }
        Task { [publisher] in await publisher.close(linger: .milliseconds(200)) }
        guard worker != nil else {
            stopCompleted()
            return
        }
        // The last replies and the DISCONNECT may still sit in the socket's queue: closing
        // with LINGER 0 now would drop them (and the broker would re-dispatch answered work).
        sendCommand(.disconnect)
        // Best effort: without it the socket closes with the default linger, which also flushes.
        try? worker?.setLinger(milliseconds: 1000)
        loop.schedule(after: Self.flushDelay) { [weak self] in
            self?.assumeIsolated { $0.stopCompleted() }
        }
    }

    /// How long a stopping agent leaves its socket open for queued messages to leave.
    static let flushDelay: Duration = .milliseconds(200)

    private func stopCompleted() {
        closeWorker()
        logger.info("agent stopped")
        stopped?.resume()
        stopped = nil
    }

    // MARK: Worker connection

    private func connectWorker() throws(ZMQError) {
        closeWorker()
        let socket = try Socket(.dealer)
        try socket.setMaximumMessageSize(MessageLimits.defaultMaximumSize)
        try socket.setSendHighWaterMark(100_000)
        try socket.setReceiveHighWaterMark(100_000)
        try socket.setReconnectInterval(milliseconds: 100, max: 5000)
        if let credentials = options.credentials { try socket.useCurve(credentials.curveRole) }
        try socket.connect(options.endpoints.requests)
        worker = socket
        workerWatch = loop.watch(socket) { [weak self] in self?.assumeIsolated { $0.receiveFromBroker() } }
        var header = ColonyHeader(
            agent: agent.name, capabilities: agent.capabilityOrder, capacity: UInt32(agent.concurrency),
            processID: UInt32(ProcessInfo.processInfo.processIdentifier)
        )
        header.instance = instance
        header.groups = options.groups
        header.descriptions = announcedDescriptions
        send([Frame(MDP.worker02), Self.commandFrame(.ready), Frame(agent.capabilityOrder[0]), Frame(header.encoded())])
        lastHeard = .now()
        if subscriber != nil { catchUpOnFailedRuns() }
    }

    private func closeWorker() {
        if let workerWatch { loop.unwatch(workerWatch) }
        workerWatch = nil
        worker = nil
    }

    private func reconnect(after delay: Duration, why: String) {
        guard reconnectTimer == nil, !isStopped else { return }
        logger.warning("reconnecting to broker", metadata: ["why": "\(why)", "in": "\(delay)"])
        if worker != nil { sendCommand(.disconnect) }
        closeWorker()
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            self?.assumeIsolated { runtime in
                runtime.reconnectTimer = nil
                do {
                    try runtime.connectWorker()
                } catch {
                    runtime.logger.error("cannot reconnect", metadata: ["error": "\(error)"])
                    runtime.reconnect(after: runtime.options.reconnectBackoff.max, why: "\(error)")
                }
            }
        }
        reconnectDelay = min(reconnectDelay * 2, options.reconnectBackoff.max)
    }

    private func heartbeatTick() {
        guard worker != nil, !isStopped else { return }
        let now = MonotonicTime.now()
        if now.since(lastHeard) > options.heartbeatInterval * options.liveness {
            reconnect(after: reconnectDelay, why: "broker silent for \(options.liveness) heartbeats")
            return
        }
        if now.since(lastSent) >= options.heartbeatInterval / 2 {
            sendHeartbeat(header: draining ? ColonyHeader(capacity: 0) : nil)
        }
    }

    private func sendHeartbeat(header: ColonyHeader?) {
        guard worker != nil else { return }
        var frames = [Frame(MDP.worker02), Self.commandFrame(.heartbeat)]
        var header = header
        if skipsToReport {
            header = header ?? ColonyHeader()
            addSkipCounts(to: &header!)
        }
        if let header { frames.append(Frame(header.encoded())) }
        send(frames)
    }

    /// Puts the gate's skip counts into an outgoing header (the broker's directory shows them).
    private func addSkipCounts(to header: inout ColonyHeader) {
        header.skippedForFailedRuns = UInt64(skipped["failed"] ?? 0)
        header.skippedForCancelledRuns = UInt64(skipped["cancelled"] ?? 0)
        skipsToReport = false
    }

    private func sendCommand(_ command: WorkerCommand) {
        send([Frame(MDP.worker02), Self.commandFrame(command)])
    }

    /// The MDP/0.2 frame of a worker command (every command has a byte in 0.2).
    private static func commandFrame(_ command: WorkerCommand) -> Frame {
        Frame([command.byte(in: .v02) ?? 0])
    }

    private func send(_ frames: [Frame]) {
        guard let worker else { return }
        do {
            try worker.send(message: frames, wait: false)
            lastSent = .now()
        } catch {
            logger.error("send to broker failed", metadata: ["error": "\(error)"])
        }
    }

    private func receiveFromBroker() {
        guard let worker else { return }
        var frames: [Frame] = []
        for _ in 0..<1024 {
            // false: nothing more waits; a throw means the socket is closing. Either ends the batch.
            guard self.worker === worker, (try? worker.receiveMessage(into: &frames)) == true else { return }
            lastHeard = .now()
            handleBrokerMessage(frames)
        }
    }

    private func handleBrokerMessage(_ frames: [Frame]) {
        let start = frames.first?.isEmpty == true ? 1 : 0
        guard frames.count >= start + 2, frames[start].holds(MDP.worker02), let command = frames[start + 1].onlyByte else {
            logger.debug("malformed message from broker dropped", metadata: ["frames": "\(frames.count)"])
            return
        }
        switch WorkerCommand(byte: command, version: .v02) {
        case .request:
            reconnectDelay = options.reconnectBackoff.initial
            handleRequest(frames, arguments: start + 2)
        case .heartbeat:
            reconnectDelay = options.reconnectBackoff.initial
        case .disconnect:
            reconnect(after: reconnectDelay, why: "broker sent DISCONNECT")
        default:
            logger.debug("unexpected command from broker", metadata: ["command": "\(command)"])
        }
    }

    // MARK: Requests

    private func handleRequest(_ frames: [Frame], arguments: Int) {
        guard frames.count >= arguments + 2, frames[arguments + 1].isEmpty else { return }
        let token = frames[arguments]
        var bodyStart = arguments + 2
        var header: ColonyHeader?
        if bodyStart < frames.count, ColonyHeader.isHeader(frames[bodyStart]) {
            // A header that does not decode counts as none: the request is served as plain MDP.
            header = try? ColonyHeader(decoding: frames[bodyStart])
            bodyStart += 1
        }
        let body = frames[bodyStart...].flatMap(\.bytes)
        let name = header?.capability ?? (agent.capabilityOrder.count == 1 ? agent.capabilityOrder[0] : "")
        guard let handler = agent.capabilities[name] else {
            reply(token: token, to: header, .failure(WireError(.unknownCapability, "agent \(agent.name) does not offer '\(name)'")))
            return
        }
        guard !draining else {
            reply(token: token, to: header, .failure(WireError(.unavailable, "agent \(agent.name) is shutting down")))
            return
        }
        let metadata = RequestMetadata(header)
        if let failed = gateStops(name, run: header?.correlationID, metadata: metadata, logger: logger) {
            reply(token: token, to: header, .failure(WireError(.workflowFailed, "run \(failed.run) \(failed.status): \(failed.reason)")))
            return
        }
        if let stale = fence(header) {
            logger.warning("refusing a request of a superseded leadership", metadata: [
                "capability": "\(name)", "correlation_id": "\(metadata.correlationID ?? "-")", "why": "\(stale.message)",
            ])
            reply(token: token, to: header, .failure(stale))
            return
        }
        let requestHeader = header
        let tokenBytes = token.bytes
        if let key = metadata.idempotencyKey {
            switch idempotency.admit(key, token: tokenBytes, header: header) {
            case .run:
                break
            case .replay(let body):
                journal?.record(.replayed, agent: agent.name, handler: name, metadata: metadata)
                logger.debug("repeated delivery answered from the idempotency cache", metadata: ["key": "\(key)", "capability": "\(name)"])
                reply(token: token, to: header, .success(body))
                return
            case .joined:
                return
            }
        }
        var requestLogger = logger
        requestLogger[metadataKey: "capability"] = "\(name)"
        if let correlation = metadata.correlationID { requestLogger[metadataKey: "correlation_id"] = "\(correlation)" }
        if let lost = header?.redeliveredAfterLossOf {
            // The agent that had this attempt was lost; it may have run it: at least once.
            requestLogger.notice("running an attempt again after its agent was lost", metadata: ["lost_instance": "\(lost)", "key": "\(metadata.idempotencyKey ?? "-")"])
            journal?.record(.reexecuted, agent: agent.name, handler: name, metadata: metadata, detail: "after the loss of \(lost)")
        }
        let context = RequestContext(
            capability: name, agent: agent.name, instance: instance, metadata: metadata,
            deadlineMilliseconds: header?.deadlineMilliseconds, logger: requestLogger,
            partials: PartialReplySink { [weak self] body in
                await self?.sendPartial(token: tokenBytes, to: requestHeader, body: body)
            },
            runtime: HandlerRuntime(gate: gate, outbox: publisher)
        )
        inFlight += 1
        let request = IncomingRequest(header: header, body: body)
        let executor: (any TaskExecutor)? = options.handlersOnIOThread ? loop : nil
        journal?.record(.started, agent: agent.name, handler: name, metadata: metadata)
        Task(executorPreference: executor) { [weak self] in
            let result: Result<[UInt8], WireError>
            do {
                result = .success(try await RequestMetadata.$current.withValue(metadata) {
                    try await handler.run(request, context)
                })
            } catch let error as WireError {
                result = .failure(error)
            } catch {
                result = .failure(WireError(.handlerFailed, "\(error)"))
            }
            await self?.complete(token: tokenBytes, header: requestHeader, handler: name, metadata: metadata, result: result, logger: requestLogger)
        }
    }

    /// A leader-follower request is refused (fencing) when it was sent under a term older than
    /// the newest this agent knows, or when its lease has certainly lapsed by the agent's own
    /// reading of the orchestrator's clock (`LeaseClock`): a leader that was stalled past its
    /// lease cannot act on what waited for it, even before it hears of the new term. A newer
    /// term teaches the agent that it leads under it.
    private func fence(_ header: ColonyHeader?) -> WireError? {
        guard let header, let term = header.term, let group = header.groups.first.map(GroupName.init(rawValue:)) else { return nil }
        if let sentAt = header.timestampMilliseconds { leaseClock.note(sentAt: sentAt) }
        if leadership.isStale(term: term, group: group) {
            let known = leadership.latest[group]
            return WireError(.staleTerm, "term \(term) of group \(group) is stale: term \(known?.term ?? 0) is led by \(known?.leader ?? "nobody")")
        }
        if let expiry = header.leaseExpiresAtMilliseconds {
            // A renewal announced for the same term extends the lease the request carried.
            let renewed = leadership.latest[group].flatMap { $0.term == term ? $0.expiresAtMilliseconds : nil } ?? 0
            if let lapsed = leaseClock.lapsed(max(expiry, renewed)) {
                return WireError(.staleTerm, "the lease of term \(term) of group \(group) ended at least \(lapsed) ms ago")
            }
        }
        // The orchestrator persisted this term before sending it here: this agent leads it.
        if term > leadership.latest[group]?.term ?? 0 {
            noteLeadership(Leadership(group: group, leader: InstanceID(instance), term: term, expiresAtMilliseconds: 0))
        }
        return nil
    }

    /// Journals how a handler ended. A success that comes after its run failed is not one:
    /// it is journaled as discarded and that failure is returned.
    private func handlerEnded(_ handler: String, metadata: RequestMetadata, error: (any Error)?, logger: Logger) -> FailedRun? {
        if let error {
            journal?.record(.failed, agent: agent.name, handler: handler, metadata: metadata, detail: "\(error)")
            return nil
        }
        guard let failed = failure(of: metadata.correlationID) else {
            journal?.record(.succeeded, agent: agent.name, handler: handler, metadata: metadata)
            return nil
        }
        logger.info("handler finished after its run \(failed.status); result discarded", metadata: ["handler": "\(handler)"])
        journal?.record(.discarded, agent: agent.name, handler: handler, metadata: metadata, detail: "run \(failed.status)")
        return failed
    }

    private func complete(
        token: [UInt8], header: ColonyHeader?, handler: String, metadata: RequestMetadata,
        result handlerResult: Result<[UInt8], WireError>, logger requestLogger: Logger
    ) {
        inFlight -= 1
        var result = handlerResult
        switch result {
        case .success:
            if let failed = handlerEnded(handler, metadata: metadata, error: nil, logger: requestLogger) {
                result = .failure(WireError(.workflowFailed, "run \(failed.run) \(failed.status) while the handler ran: \(failed.reason)"))
            }
        case .failure(let error):
            _ = handlerEnded(handler, metadata: metadata, error: error, logger: requestLogger)
            requestLogger.warning("handler failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
        }
        reply(token: Frame(token), to: header, result)
        if let key = header?.idempotencyKey {
            for waiter in idempotency.finish(key, result: result) {
                reply(token: Frame(waiter.token), to: waiter.header, result)
            }
        }
        if draining && busy == 0 { finish() }
    }

    private func reply(token: Frame, to header: ColonyHeader?, _ result: Result<[UInt8], WireError>, partial: Bool = false) {
        var replyHeader = ColonyHeader(requestID: header?.requestID, agent: agent.name)
        replyHeader.instance = instance
        replyHeader.redeliveredAfterLossOf = header?.redeliveredAfterLossOf
        if skipsToReport { addSkipCounts(to: &replyHeader) }
        let body: [UInt8]
        switch result {
        case .success(let bytes):
            body = bytes
        case .failure(let error):
            replyHeader.status = .error
            replyHeader.errorCode = error.code
            replyHeader.errorMessage = error.message
            body = error.jsonBody
        }
        send([Frame(MDP.worker02), Self.commandFrame(partial ? .partial : .final), token, Frame(), Frame(replyHeader.encoded()), Frame(body)])
    }

    private func sendPartial(token: [UInt8], to header: ColonyHeader?, body: [UInt8]) {
        reply(token: Frame(token), to: header, .success(body), partial: true)
    }

    // MARK: Leadership

    /// Takes a leadership announcement; a change for this agent is logged and reported to the
    /// `onLeadership` handlers.
    func noteLeadership(_ announced: Leadership, sentAt: UInt64? = nil) {
        if let sentAt { leaseClock.note(sentAt: sentAt) }
        guard let change = leadership.note(announced) else { return }
        switch change {
        case .became(let group, let term):
            logger.notice("became leader", metadata: ["group": "\(group)", "term": "\(term)"])
        case .lost(let group, let leader, let term):
            logger.notice("lost leadership", metadata: ["group": "\(group)", "term": "\(term)", "leader": "\(leader ?? "-")"])
        case .follows:
            break
        }
        for handler in agent.leadershipHandlers { track { await handler(change) } }
    }

    // MARK: Events

    /// Whether an event handler may start (the gate's check and the journal's `started` line
    /// happen in one step, so nothing starts once the run is known to have failed). An admitted
    /// handler counts as running until `finishEvent`, so shutdown waits for it; none is
    /// admitted once the agent is stopping.
    private func admitEvent(_ handler: EventHandler, metadata: RequestMetadata, isFailureNotice: Bool, logger eventLogger: Logger) -> Bool {
        guard !draining else { return false }
        if !isFailureNotice, gateStops(handler.name, run: metadata.correlationID, isEvent: true,
                                       includesFinishedRuns: handler.includesFinishedRuns, metadata: metadata, logger: eventLogger) != nil {
            return false
        }
        journal?.record(.started, agent: agent.name, handler: handler.name, metadata: metadata)
        backgroundWork += 1
        return true
    }

    /// Records how an event handler ended; a success after its run failed is not one.
    private func finishEvent(_ handler: EventHandler, metadata: RequestMetadata, outcome: Result<Void, any Error>, logger eventLogger: Logger) {
        switch outcome {
        case .success:
            _ = handlerEnded(handler.name, metadata: metadata, error: nil, logger: eventLogger)
        case .failure(let error):
            _ = handlerEnded(handler.name, metadata: metadata, error: error, logger: eventLogger)
            eventLogger.warning("event handler failed", metadata: ["handler": "\(handler.name)", "error": "\(error)"])
        }
        backgroundWorkEnded()
    }

    private func startEvents() async throws {
        let subscriber = Subscriber(endpoints: options.endpoints, credentials: options.credentials, loop: loop)
        self.subscriber = subscriber
        let failureTopics = [Topics.workflowFailed, Topics.workflowCancelled, Topics.workflowCompleted]
        let stream = try await subscriber.subscribe(agent.eventHandlers.map(\.prefix) + failureTopics + [Topics.leadershipPrefix, Topics.leaseRenewalPrefix])
        catchUpOnFailedRuns()
        let handlers = agent.eventHandlers
        let name = agent.name
        let baseLogger = logger
        let runtime = HandlerRuntime(gate: gate, outbox: publisher)
        let executor: (any TaskExecutor)? = options.handlersOnIOThread ? loop : nil
        eventTask = Task(executorPreference: executor) { [weak self] in
            for await event in stream {
                let isFailureNotice = failureTopics.contains(event.topic)
                if isFailureNotice {
                    do {
                        await self?.confirmAndLearn(try JSONDecoder().decode(FailedRun.self, from: Data(event.payload)))
                    } catch {
                        baseLogger.warning("ignoring a malformed ended-run event", metadata: ["topic": "\(event.topic)", "error": "\(error)"])
                    }
                }
                if event.topic.hasPrefix(Topics.leadershipPrefix) || event.topic.hasPrefix(Topics.leaseRenewalPrefix) {
                    do {
                        let announced = try JSONDecoder().decode(Leadership.self, from: Data(event.payload))
                        await self?.noteLeadership(announced, sentAt: event.header?.timestampMilliseconds)
                    } catch {
                        baseLogger.warning("ignoring a malformed leadership announcement", metadata: ["topic": "\(event.topic)", "error": "\(error)"])
                    }
                }
                for handler in handlers where event.topic.hasPrefix(handler.prefix) {
                    let metadata = RequestMetadata(event.header)
                    var eventLogger = baseLogger
                    eventLogger[metadataKey: "topic"] = "\(event.topic)"
                    if let correlation = metadata.correlationID { eventLogger[metadataKey: "correlation_id"] = "\(correlation)" }
                    // Notices of the failure itself always reach the handlers that asked for them.
                    guard let self, await self.admitEvent(handler, metadata: metadata, isFailureNotice: isFailureNotice, logger: eventLogger) else {
                        continue
                    }
                    let context = EventContext(topic: event.topic, agent: name, instance: self.instance, metadata: metadata, publisher: event.header?.agent, logger: eventLogger, runtime: runtime)
                    Task(executorPreference: executor) { [weak self] in
                        let outcome: Result<Void, any Error>
                        do {
                            try await RequestMetadata.$current.withValue(metadata) {
                                try await handler.run(event.payload, context)
                            }
                            outcome = .success(())
                        } catch {
                            outcome = .failure(error)
                        }
                        await self?.finishEvent(handler, metadata: metadata, outcome: outcome, logger: eventLogger)
                    }
                }
            }
        }
    }
}
