import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import ServiceLifecycle
import ColonyCore

/// Runs workflows durably. Every decision is written to the store before it is acted on;
/// decisions taken while a write is in progress are written together in the next one (group
/// commit), so many runs share each transaction. After a crash, `resume()` picks every
/// unfinished run up where the store says it was.
public actor Engine {
    /// Tunables of the engine.
    public struct Options: Sendable {
        /// Time limit of an attempt whose step declares none.
        public var defaultAttemptTimeout: Duration = .seconds(300)
        /// How often runs are checked for lack of progress.
        public var reconcileInterval: Duration = .seconds(5)
        /// How long a step may wait before reconciliation reports why.
        public var stallThreshold: Duration = .seconds(30)
        /// Runs in progress at once; more wait in the queue (priority, then age).
        public var maxConcurrentRuns = 5
        /// Runs waiting in the queue at most; a start beyond it is refused (`queue_full`), so a
        /// storm of submissions or events cannot grow the orchestrator without bound.
        public var maxQueuedRuns = 10_000
        /// Capacities of the named resources steps may declare (1 when not listed).
        public var resources: [String: Int] = [:]
        /// At a graceful shutdown, how long attempts in flight may take to finish.
        public var shutdownGrace: Duration = .seconds(10)
        /// Where the engine's own tasks run (writing, then dispatching). Give it the executor
        /// that owns the dispatcher's socket (its client's `IOLoop`) and a step's reply, its
        /// record and the next request happen on one thread, with no hop between threads.
        /// Nil: Swift's global executor.
        public var executor: (any TaskExecutor)?

        public init() {}
    }

    let store: any WorkflowStore
    let dispatcher: any StepDispatcher
    let options: Options
    let clock: any EngineClock
    /// Uniform draws in -1...1 for retry jitter.
    let jitter: @Sendable () -> Double
    let logger: Logger

    /// Every run held here, queued or admitted, with everything held for it.
    private var runs: [RunID: ActiveRun] = [:]
    /// Queued runs' ids, in admission order (priority, then age).
    private var queue: [RunID] = [] {
        didSet { if queue.count != oldValue.count { metrics.queue(length: queue.count) } }
    }
    /// How many runs are admitted (the global limit counts these).
    private var admittedCount = 0
    private var resourcePool: ResourcePool
    private var pending = Plan()
    private var flushing = false
    /// Which instance got which attempt, written with the next batch.
    private let dispatchRecords = DispatchRecords(delay: Engine.dispatchRecordDelay)
    /// Plans committed so far, and how many of them are written: a caller that must answer only
    /// once its decision is durable (a signal, a pause) waits for its own number.
    private var committedPlans: UInt64 = 0
    private var writtenPlans: UInt64 = 0
    private var generation: UInt64 = 0
    /// Everyone suspended in `waitForChange` or `drain`, by ticket.
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    /// Callers of `waitUntilFinished`, by run.
    private var finishWaiters: [RunID: [CheckedContinuation<Void, Never>]] = [:]
    /// Tickets of `drain` waiting for the last attempt in flight.
    private var idleWaiters: Set<UUID> = []
    /// Run-end notices on their way to the bus.
    private var notices: [UUID: Task<Void, Never>] = [:]
    /// Set while shutting down gracefully: attempts in flight may finish, new ones are not sent
    /// (they stay recorded as dispatched, and go out when the orchestrator starts again).
    private var draining = false
    /// Set when a write was refused because another orchestrator took the lease: from then on
    /// nothing is written or done (the lease loop stops this engine at once), and steering
    /// calls are refused with it.
    private var supersession: StoreError?
    private var runObservers: [@Sendable (RunID, RunStatus) -> Void] = []
    private var transitionObservers: [@Sendable ([TransitionNotice]) -> Void] = []
    private var metrics = EngineMetrics()
    /// Where child workflow steps find the definition to run.
    private var childDefinitions: (@Sendable (String) async -> (id: Int64, definition: WorkflowDefinition)?)?

    /// A step of a run.
    public struct StepKey: Hashable, Codable, Sendable {
        public var run: RunID
        public var step: StepID
    }

    public init(
        store: any WorkflowStore, dispatcher: any StepDispatcher, options: Options = Options(), clock: any EngineClock = .system,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }, logger: Logger
    ) {
        self.store = store
        self.dispatcher = dispatcher
        self.options = options
        self.clock = clock
        self.jitter = jitter
        self.logger = logger
        self.resourcePool = ResourcePool(capacities: options.resources)
    }

    // MARK: Runs

    /// Creates a run of `definition` (stored as version `definitionID`) and starts it.
    /// A child run (`parent`) gets the id given and is admitted at once, outside the limits:
    /// its parent already holds a slot and waits for it.
    public func start(
        definitionID: Int64, definition: WorkflowDefinition, input: JSONValue, priority: Int = 0,
        schedule: (id: String, at: Date)? = nil, id: RunID? = nil, parent: (run: RunID, step: StepID)? = nil, tags: [String: String]? = nil
    ) async throws(EngineError) -> RunRecord {
        let resolved: JSONValue
        switch definition.resolveInput(input) {
        case .success(let value): resolved = value
        case .failure(let error): throw .invalidInput(error)
        }
        guard parent != nil || queue.count < options.maxQueuedRuns else { throw .queueFull(limit: options.maxQueuedRuns) }
        let record = RunRecord(id: id ?? Self.newRunID(), workflow: definition.name, definitionID: definitionID, version: definition.storedVersion, input: resolved,
                               priority: priority, scheduleID: schedule?.id, scheduledAt: schedule?.at, createdAt: clock.now,
                               parentRunID: parent?.run, parentStepID: parent?.step, tags: tags?.isEmpty == false ? tags : nil)
        do {
            try await store.createRun(record, steps: definition.steps.map(\.id))
        } catch {
            throw .store(error)
        }
        let state = RunState(id: record.id, definition: definition, input: resolved, defaultAttemptTimeout: options.defaultAttemptTimeout,
                             priority: priority, createdAt: record.createdAt)
        logger.debug("run queued", metadata: ["correlation": "\(record.id)", "workflow": "\(definition.name)", "priority": "\(priority)"])
        if parent != nil {
            admit(state)
        } else {
            enqueue(state)
        }
        return record
    }

    /// Cancels a run: nothing more is dispatched, attempts in flight are abandoned, and the
    /// bus is told so agents stop working on it. Returns the run's final status; a run that
    /// already ended otherwise (completed, failed, timed out) is refused with `.ended`.
    public func cancel(run id: RunID, reason: String) async throws(EngineError) -> RunStatus {
        if let supersession { throw .store(supersession) }
        guard runs[id] != nil else {
            let snapshot: RunSnapshot
            do {
                snapshot = try await store.snapshot(run: id)
            } catch {
                throw .store(error)
            }
            guard snapshot.run.status.isFinal else { throw .notActive(id) }
            guard snapshot.run.status == .cancelled else { throw .ended(id, snapshot.run.status) }
            return snapshot.run.status
        }
        let before = generation
        cancelHeld(id, reason: reason)
        logger.notice("run cancelled", metadata: ["correlation": "\(id)", "reason": "\(reason)"])
        await waitForChange(run: id, after: before, timeout: .seconds(10))
        if let supersession { throw .store(supersession) }
        return .cancelled
    }

    /// Starts a run that retries the ended run `old`: steps that succeeded there and are not
    /// in `from` (default: the steps that did not succeed) or downstream of one keep their
    /// outputs and do not run again; the rest runs. `definition` is the version to run (the old
    /// run's unless the caller picked a later one); `input` replaces the old run's input.
    public func retry(
        _ old: RunID, from: [StepID] = [], input: JSONValue? = nil, definitionID: Int64? = nil, definition: WorkflowDefinition? = nil
    ) async throws(EngineError) -> RunRecord {
        let snapshot: RunSnapshot, version: (id: Int64, definition: WorkflowDefinition)
        do {
            snapshot = try await store.snapshot(run: old)
            if let definitionID, let definition {
                version = (definitionID, definition)
            } else {
                version = (snapshot.run.definitionID, try await store.definition(id: snapshot.run.definitionID))
            }
        } catch {
            throw .store(error)
        }
        guard snapshot.run.status.isFinal else { throw .notFinished(old, snapshot.run.status) }
        let resolved: JSONValue
        switch version.definition.resolveInput(input ?? snapshot.run.input) {
        case .success(let value): resolved = value
        case .failure(let error): throw .invalidInput(error)
        }
        let now = clock.now, id = Self.newRunID()
        let plan: RetryPlan
        switch RetryPlan.make(old: snapshot, new: id, definition: version.definition, from: from, now: now) {
        case .success(let made): plan = made
        case .failure(.unknownStep(let step, let known)): throw .unknownStep(step, workflow: version.definition.name, known: known)
        case .failure(.nothingToRetry): throw .nothingToRetry(old)
        }
        let record = RunRecord(id: id, workflow: version.definition.name, definitionID: version.id, version: version.definition.storedVersion,
                               input: resolved, priority: snapshot.run.priority,
                               createdAt: now, retryOf: old)
        let created: RunSnapshot
        do {
            try await store.createRun(record, steps: version.definition.steps.map(\.id), kept: plan.kept)
            created = try await store.snapshot(run: id)
        } catch {
            throw .store(error)
        }
        let state = RunState(snapshot: created, definition: version.definition, defaultAttemptTimeout: options.defaultAttemptTimeout)
        logger.debug("run queued", metadata: ["correlation": "\(id)", "workflow": "\(version.definition.name)", "retry_of": "\(old)",
                                             "kept": "\(plan.kept.map(\.stepID.rawValue).joined(separator: ","))"])
        enqueue(state)
        return record
    }

    /// Sends signal `name` (with `data`, the waiting step's output) to a run. It is stored
    /// before this returns: a step waiting for it takes it at once, otherwise it is kept for
    /// the first step of that name the run reaches. Refused for ended runs, for names no step
    /// waits for, and when every step waiting for the name is done.
    public func signal(run id: RunID, name: String, data: JSONValue?) async throws(EngineError) -> SignalReceipt {
        if let supersession { throw .store(supersession) }
        guard let status = runs[id]?.state.status else { throw await absent(id) }
        guard !status.isFinal else { throw .ended(id, status) }
        if let data, data.jsonBytes.count > Self.maximumSignalBytes {
            throw .signalRefused(run: id, reason: "its data is larger than \(Self.maximumSignalBytes) bytes")
        }
        let now = clock.now
        let record = SignalRecord(id: String(format: "s-%016llx", UInt64.random(in: .min ... .max)), runID: id, name: name, data: data, sentAt: now)
        let plan: Plan, outcome: RunState.SignalOutcome
        switch runs[id]!.state.receive(record, now: now) {
        case .failure(.unknown(let name, let known)): throw .unknownSignal(run: id, name: name, known: known)
        case .failure(.notAwaited(let name)): throw .signalNotAwaited(run: id, name: name)
        case .failure(.tooManyKept):
            throw .signalRefused(run: id, reason: "it keeps \(RunState.maximumKept) signals no step has taken yet")
        case .success(let accepted): (plan, outcome) = accepted
        }
        try await waitUntilWritten(commit(plan), run: id)
        let stored: Bool
        do {
            stored = try await store.snapshot(run: id).signals.contains { $0.id == record.id }
        } catch {
            throw .store(error)
        }
        guard stored else { throw .store(.database("the signal was not stored; send it again")) }
        var step: StepID?
        if case .delivered(let taker) = outcome { step = taker }
        logger.info("signal received", metadata: ["correlation": "\(id)", "signal": "\(name)", "step": "\(step?.rawValue ?? "-")"])
        return SignalReceipt(id: record.id, run: id, signal: name, step: step, sentAt: now)
    }

    /// Pauses a running run: nothing new is dispatched until `unpause`; attempts in flight
    /// finish and are recorded; timeouts keep counting. Stored before this returns.
    public func pause(run id: RunID, reason: String) async throws(EngineError) {
        if let supersession { throw .store(supersession) }
        guard let admitted = runs[id]?.admitted else { throw await absent(id) }
        let now = clock.now
        guard admitted, let plan = runs[id]!.state.pause(reason: reason, now: now) else {
            throw .notPausable(id, runs[id]!.state.status, failing: runs[id]!.state.failure != nil)
        }
        let written = commit(plan)
        logger.notice("run paused", metadata: ["correlation": "\(id)", "reason": "\(reason)"])
        try await waitUntilWritten(written, run: id)
    }

    /// Resumes a paused run: what its pause held back goes out now. Stored before this returns.
    public func unpause(run id: RunID, reason: String) async throws(EngineError) {
        if let supersession { throw .store(supersession) }
        guard runs[id] != nil else { throw await absent(id) }
        let now = clock.now
        guard let plan = runs[id]!.state.unpause(reason: reason, now: now) else { throw .notPaused(id, runs[id]!.state.status) }
        let written = commit(plan)
        logger.notice("run resumed", metadata: ["correlation": "\(id)", "reason": "\(reason)"])
        try await waitUntilWritten(written, run: id)
    }

    /// Why an operation on a run this engine does not hold is refused: it ended, it does not
    /// exist, or another orchestrator holds it.
    private func absent(_ id: RunID) async -> EngineError {
        do {
            let snapshot = try await store.snapshot(run: id)
            return snapshot.run.status.isFinal ? .ended(id, snapshot.run.status) : .notActive(id)
        } catch {
            return .store(error)
        }
    }

    /// Cancels a run held here: a queued one is cancelled like an admitted one, without
    /// starting first.
    private func cancelHeld(_ id: RunID, reason: String) {
        guard let admitted = runs[id]?.admitted else { return }
        if !admitted {
            queue.removeAll { $0 == id }
            runs[id]?.admitted = true
            runs[id]?.queueReason = nil
            admittedCount += 1
        }
        let now = clock.now
        commit(update(id) { $0.cancel(reason: reason, now: now) })
    }

    /// Picks up every unfinished run from the store: attempts that were in flight are sent
    /// again with the same idempotency key, retries wait out what is left of their delay.
    /// Returns how many runs resumed.
    @discardableResult
    public func resume() async throws(EngineError) -> Int {
        let snapshots: [RunSnapshot]
        do {
            snapshots = try await store.unfinishedRuns()
        } catch {
            throw .store(error)
        }
        var resumed = 0
        for snapshot in snapshots where runs[snapshot.run.id] == nil {
            do {
                let definition = try await store.definition(id: snapshot.run.definitionID)
                let state = RunState(snapshot: snapshot, definition: definition, defaultAttemptTimeout: options.defaultAttemptTimeout)
                logger.info("run resumed", metadata: ["correlation": "\(snapshot.run.id)", "workflow": "\(definition.name)"])
                if snapshot.run.status == .pending && snapshot.run.parentRunID == nil {
                    enqueue(state)
                } else {
                    commit(state.resumption(now: clock.now))
                    admit(state)
                }
                resumed += 1
            } catch {
                logger.error("cannot resume run", metadata: ["correlation": "\(snapshot.run.id)", "error": "\(error)"])
            }
        }
        return resumed
    }

    /// Whether `run` is queued or in progress in this engine.
    public func isActive(_ run: RunID) -> Bool { runs[run] != nil }

    /// Returns when `run` is no longer queued or in progress here (or another orchestrator
    /// took the lease). Woken once, at the end: not at every change.
    public func waitUntilFinished(_ run: RunID) async {
        guard supersession == nil, runs[run] != nil else { return }
        await withCheckedContinuation { finishWaiters[run, default: []].append($0) }
    }

    /// Resumes whoever waits for `run` to finish here.
    private func releaseFinishWaiters(of run: RunID) {
        for waiter in finishWaiters.removeValue(forKey: run) ?? [] { waiter.resume() }
    }

    /// Tells the engine where to find the workflows that steps run as children.
    public func setChildWorkflows(_ source: @escaping @Sendable (String) async -> (id: Int64, definition: WorkflowDefinition)?) {
        childDefinitions = source
    }

    /// Runs a child workflow for one attempt of a step: the child's id comes from the attempt,
    /// so after a restart the same child is awaited (not started twice); the child's output is
    /// the step's output, its failure the step's; abandoning the attempt (the parent was
    /// cancelled or failed) cancels the child.
    func runChild(_ order: DispatchOrder) async -> StepResult {
        guard let name = order.childWorkflow else { return .failed(StepError(code: .internal, message: "not a child step"), agent: nil) }
        let childID = Self.childRunID(order)
        let existing: RunSnapshot?
        do {
            existing = try await store.snapshot(run: childID)
        } catch .runNotFound {
            existing = nil
        } catch {
            // Not knowing is not "absent": starting it again could run the child twice.
            return .failed(StepError(code: .storeError, message: "cannot look up child run \(childID): \(error)"), agent: nil)
        }
        if existing == nil {
            guard let (id, definition) = await childDefinitions?(name) else {
                return .failed(StepError(code: .unknownWorkflow, message: "no runnable workflow '\(name)' for child step \(order.step)"), agent: nil)
            }
            guard !Task.isCancelled else { return .failed(Self.abandoned, agent: nil) }
            do {
                _ = try await start(definitionID: id, definition: definition, input: order.input, id: childID, parent: (order.run, order.step))
            } catch {
                return .failed(StepError(code: .childFailed, message: "cannot start child workflow '\(name)': \(error)"), agent: nil)
            }
            // Abandoned while the child was being created: it goes the way of its parent's step.
            if Task.isCancelled { cancelHeld(childID, reason: Self.abandoned.message) }
        }
        await waitUntilFinished(childID)
        let snapshot: RunSnapshot
        do {
            snapshot = try await store.snapshot(run: childID)
        } catch {
            return .failed(StepError(code: .childFailed, message: "cannot read child run \(childID): \(error)"), agent: nil)
        }
        switch snapshot.run.status {
        case .completed:
            return .succeeded(output: snapshot.run.output ?? .null, agent: nil)
        case .failed:
            return .failed(StepError(code: snapshot.run.errorCode ?? .childFailed,
                                     message: "child workflow '\(name)' (run \(childID)) failed: \(snapshot.run.errorMessage ?? "")"), agent: nil)
        default:
            return .failed(StepError(code: .cancelled, message: "child workflow '\(name)' (run \(childID)) was \(snapshot.run.status.rawValue)"), agent: nil)
        }
    }

    /// Calls `observer` with each run that ends here, once its end is durable.
    public func observeRunEnds(_ observer: @escaping @Sendable (RunID, RunStatus) -> Void) {
        runObservers.append(observer)
    }

    /// Calls `observer` with each batch of run and step transitions once it is stored, in order.
    public func observeTransitions(_ observer: @escaping @Sendable ([TransitionNotice]) -> Void) {
        transitionObservers.append(observer)
    }

    // MARK: Watching

    /// A counter that grows with every durable change; pass it to `waitForChange`.
    public var changeGeneration: UInt64 { generation }

    /// Returns once `run` changed after `generation` (at once if it did already, or if the run
    /// is not active here), or after `timeout`.
    public func waitForChange(run: RunID, after generation: UInt64, timeout: Duration) async {
        // Reads one field: a copy of the run's entry held across the suspension would make the
        // next change to its step table copy the whole table.
        guard supersession == nil, let changedAt = runs[run]?.changedAt, changedAt <= generation else { return }
        let ticket = UUID()
        runs[run]?.watchers.insert(ticket)
        await suspend(ticket, until: clock.now.addingTimeInterval(timeout.seconds))
        runs[run]?.watchers.remove(ticket)
    }

    /// Returns once plan number `plan` (from `commit`) is written, the run is no longer held
    /// here, or `timeout` passed; throws when another orchestrator took the lease meanwhile.
    private func waitUntilWritten(_ plan: UInt64, run: RunID, timeout: Duration = .seconds(10)) async throws(EngineError) {
        let deadline = clock.now.addingTimeInterval(timeout.seconds)
        while writtenPlans < plan, supersession == nil, runs[run] != nil, clock.now < deadline {
            await waitForChange(run: run, after: generation, timeout: .seconds(1))
        }
        if let supersession { throw .store(supersession) }
    }

    /// Suspends until `wake(ticket)` or `deadline` on the engine's clock, whichever is first.
    private func suspend(_ ticket: UUID, until deadline: Date) async {
        let clock = self.clock
        let timer = Task { [weak self] in
            do {
                try await clock.sleep(until: deadline)
            } catch {
                return  // woken before the deadline
            }
            await self?.wake(ticket)
        }
        await withCheckedContinuation { continuation in
            waiters[ticket] = continuation
        }
        timer.cancel()
    }

    private func wake(_ ticket: UUID) {
        waiters.removeValue(forKey: ticket)?.resume()
    }

    private func notifyWatchers(of run: RunID) {
        guard let entry = runs[run] else { return }
        notifyWatchers(of: entry)
    }

    private func notifyWatchers(of entry: ActiveRun) {
        let watchers = entry.watchers
        entry.changedAt = generation
        entry.watchers = []
        for ticket in watchers { wake(ticket) }
    }

    // MARK: The queue

    /// A queued run waiting for admission.
    public struct QueuedRun: Codable, Sendable, Hashable {
        public var run: RunID
        public var workflow: String
        public var priority: Int
        public var createdAt: Date
        public var reason: String
    }

    /// Runs waiting for admission, in the order they will be admitted.
    public var queuedRuns: [QueuedRun] {
        queue.compactMap { id in
            runs[id].map {
                QueuedRun(run: id, workflow: $0.state.definition.name, priority: $0.state.priority, createdAt: $0.state.createdAt,
                          reason: $0.queueReason ?? "about to start")
            }
        }
    }

    /// A step waiting for named resources.
    public struct ResourceWait: Codable, Sendable, Hashable {
        public var run: RunID
        public var step: StepID
        public var resources: [String]
        public var priority: Int
        public var reason: String
    }

    /// A paused run: it keeps its slot and dispatches nothing new until resumed.
    public struct PausedRun: Codable, Sendable, Hashable {
        public var run: RunID
        public var workflow: String
        public var since: Date?
        public var reason: String?
    }

    /// Paused runs, oldest pause first.
    public var pausedRuns: [PausedRun] {
        runs.values.filter { $0.state.status == .paused }
            .map { PausedRun(run: $0.state.id, workflow: $0.state.definition.name, since: $0.state.pausedSince, reason: $0.state.pauseReason) }
            .sorted { ($0.since ?? .distantPast, $0.run.rawValue) < ($1.since ?? .distantPast, $1.run.rawValue) }
    }

    /// Steps waiting for resources, in the order they will get them.
    public var resourceWaits: [ResourceWait] {
        resourcePool.waiting.map { request in
            ResourceWait(run: request.key.run, step: request.key.step, resources: request.resources, priority: request.priority,
                         reason: resourcePool.reason(for: request.key) ?? "")
        }
    }

    /// A named resource: its capacity and the steps holding it now.
    public struct ResourceHolding: Codable, Sendable, Hashable {
        public var resource: String
        public var capacity: Int
        public var holders: [StepKey]
    }

    /// Every configured or held resource, by name.
    public var resourceHoldings: [ResourceHolding] {
        resourcePool.holdings.map { ResourceHolding(resource: $0.resource, capacity: $0.capacity, holders: $0.holders) }
    }

    private func enqueue(_ state: RunState) {
        runs[state.id] = ActiveRun(state, at: clock.now)
        queue.append(state.id)
        queue.sort { first, second in
            guard let a = runs[first]?.state, let b = runs[second]?.state else { return false }
            return (b.priority, a.createdAt) < (a.priority, b.createdAt)
        }
        admitFromQueue()
    }

    /// Admits queued runs while the limits allow, in priority then age order; records why the
    /// others wait.
    private func admitFromQueue() {
        var index = 0
        while index < queue.count {
            let id = queue[index]
            guard let state = runs[id]?.state else {
                queue.remove(at: index)
                continue
            }
            if admittedCount >= options.maxConcurrentRuns {
                for waiting in queue[index...] {
                    runs[waiting]?.queueReason = "the global limit of \(options.maxConcurrentRuns) concurrent runs is reached"
                }
                return
            }
            let workflow = state.definition.name
            if let limit = state.definition.maxConcurrentRuns,
               runs.values.lazy.filter({ $0.admitted && $0.state.definition.name == workflow }).count >= limit {
                runs[id]?.queueReason = "workflow '\(workflow)' allows \(limit) concurrent run\(limit == 1 ? "" : "s")"
                index += 1
                continue
            }
            queue.remove(at: index)
            admit(state)
        }
    }

    // MARK: Moving runs

    private func admit(_ state: RunState) {
        let id = state.id, now = clock.now
        let entry = runs[id] ?? ActiveRun(state, at: now)
        entry.admitted = true
        entry.queueReason = nil
        entry.lastProgress = now
        runs[id] = entry
        admittedCount += 1
        commit(update(id) { $0.advance(now: now) })
        if let deadline = runs[id]?.state.deadline {
            schedule(run: id, at: deadline) { $0.runTimedOut(id) }
        }
    }

    /// Applies `change` to the run's state in place (no copy of its step table) and returns
    /// what it decided; nothing when the run is not admitted here.
    private func update(_ run: RunID, _ change: (inout RunState) -> Plan) -> Plan {
        guard let entry = runs[run], entry.admitted else { return Plan() }
        return change(&entry.state)
    }

    private func completed(_ order: DispatchOrder, _ result: StepResult) {
        defer { wakeDrainIfIdle() }
        // The run looked up once (each lookup hashes its id).
        guard let entry = runs[order.run] else { return }
        entry.inFlight.removeValue(forKey: order.step)
        entry.children.removeValue(forKey: order.step)
        guard entry.admitted else { return }
        // Only a failure may be retried: a success needs no draw (each is a system call).
        let now = clock.now, jitter = result.isFailure ? jitter() : 0
        commit(entry.state.record(result, step: order.step, attempt: order.attempt, now: now, jitter: jitter))
    }

    private func retryDue(_ run: RunID, _ step: StepID) {
        let now = clock.now
        commit(update(run) { $0.retryDue(step: step, now: now) })
    }

    private func runTimedOut(_ run: RunID) {
        let now = clock.now
        let plan = update(run) { $0.timedOut(now: now) }
        if !plan.changes.isEmpty {
            logger.warning("run timed out", metadata: ["correlation": "\(run)"])
        }
        commit(plan)
    }

    // MARK: Writing, then acting

    @discardableResult
    private func commit(_ plan: Plan) -> UInt64 {
        guard supersession == nil, !plan.changes.isEmpty || !plan.effects.isEmpty else { return writtenPlans }
        committedPlans += 1
        defer { startFlushing() }
        pending.append(plan)
        return committedPlans
    }

    private func startFlushing() {
        guard !flushing, supersession == nil else { return }
        flushing = true
        Task(executorPreference: options.executor) { await self.flush() }
    }

    /// Writes what was decided, then does what the decisions call for; decisions made while
    /// a write is in progress go into the next one.
    private func flush() async {
        while true {
            var batch = pending
            let through = committedPlans
            pending = Plan()
            // A notice can come after its run ended here (a request that waited in the broker's
            // queue): nothing to record then, nothing left behind for a forgotten run.
            var records = dispatchRecords.take()
            records.removeAll { runs[$0.run] == nil }
            batch.append(Plan(changes: records))
            guard !(batch.changes.isEmpty && batch.effects.isEmpty) else { break }
            do {
                try await store.apply(batch.changes, at: clock.now)
                writtenPlans = through
            } catch let error where error.isSupersession {
                stopActing(error)
                break
            } catch {
                logger.error("cannot record a batch of transitions; reloading the runs involved", metadata: ["error": "\(error)"])
                await reload(Set(batch.changes.map(\.run)))
                continue
            }
            generation += 1
            if !transitionObservers.isEmpty, !batch.changes.isEmpty {
                let at = clock.now
                let notices = batch.changes.map { change in
                    var notice = TransitionNotice(change, workflow: runs[change.run]?.state.definition.name, at: at)
                    if case .run(let transition) = change, transition.from == .pending, transition.to == .running, let created = runs[change.run]?.state.createdAt {
                        notice.queuedMilliseconds = Int64((at.timeIntervalSince(created) * 1000).rounded())
                    }
                    return notice
                }
                for observer in transitionObservers { observer(notices) }
                metrics.record(notices)
            }
            var touched = Set<RunID>()
            for change in batch.changes { touched.insert(change.run) }
            for effect in batch.effects { perform(effect) }
            let now = clock.now
            for run in touched {
                guard let entry = runs[run] else { continue }
                entry.lastProgress = now
                notifyWatchers(of: entry)
            }
        }
        flushing = false
        wakeDrainIfIdle()
    }

    /// Another orchestrator holds the lease now: drop what was decided and not written, stop
    /// waiting on attempts in flight (the new holder re-sends them; agents' idempotency caches
    /// answer) and take nothing new.
    private func stopActing(_ error: StoreError) {
        guard supersession == nil else { return }
        supersession = error
        pending = Plan()
        logger.critical("a write was refused: another orchestrator holds the lease; this engine stops acting")
        for run in Array(runs.keys) {
            runs[run]?.inFlight.values.forEach { $0.cancel() }
            runs[run]?.inFlight.removeAll()
        }
        // Whoever waits for a change or a write learns now that none will come.
        for ticket in Array(waiters.keys) { wake(ticket) }
        for run in Array(finishWaiters.keys) { releaseFinishWaiters(of: run) }
        wakeDrainIfIdle()
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .dispatch(let order):
            guard !draining, let entry = runs[order.run] else { return }
            entry.inFlight[order.step]?.cancel()
            if order.childWorkflow != nil { entry.children[order.step] = Self.childRunID(order) }
            let dispatcher = self.dispatcher, dispatchRecords = self.dispatchRecords
            entry.inFlight[order.step] = Task(executorPreference: options.executor) { [self] in
                let result = order.childWorkflow == nil
                    ? await dispatcher.dispatch(order) { [dispatchRecords, weak self] instance in
                        guard dispatchRecords.add(run: order.run, step: order.step, attempt: order.attempt, instance: instance) else { return }
                        Task { await self?.writeDispatchRecordsWhenDue() }
                    }
                    : await self.runChild(order)
                await self.completed(order, result)
            }
        case .abandon(let run, let step):
            runs[run]?.inFlight.removeValue(forKey: step)?.cancel()
            if let child = runs[run]?.children.removeValue(forKey: step) {
                cancelHeld(child, reason: Self.abandoned.message)
            }
            wakeDrainIfIdle()
        case .retry(let run, let step, let delay):
            schedule(run: run, at: clock.now.addingTimeInterval(delay.seconds)) { $0.retryDue(run, step) }
        case .signalTimeout(let run, let step, let delay):
            schedule(run: run, at: clock.now.addingTimeInterval(delay.seconds)) { engine in
                let now = engine.clock.now
                engine.commit(engine.update(run) { $0.signalTimedOut(step: step, now: now) })
            }
        case .acquire(let run, let step, let resources):
            let state = runs[run]?.state
            resourcePool.enqueue(StepKey(run: run, step: step), resources: resources, priority: state?.priority ?? 0, createdAt: state?.createdAt ?? clock.now)
            grantResources()
        case .hold(let run, let step, let resources):
            resourcePool.hold(StepKey(run: run, step: step), resources: resources)
        case .release(let run, let step):
            resourcePool.release(StepKey(run: run, step: step))
            grantResources()
        case .finished(let run, let status, let failure):
            for child in runs[run]?.children.values ?? [:].values {
                cancelHeld(child, reason: Self.abandoned.message)
            }
            // Secret inputs never reach the log or the bus, even inside an agent's error message.
            let secrets = runs[run].map { $0.state.definition.secretValues(in: $0.state.input) } ?? []
            metrics.runEnded(workflow: runs[run]?.state.definition.name ?? "-", status: status)
            let error = failure.map { StepError(code: $0.code, message: $0.message.redacting(secrets)) }
            forget(run)
            defer { admitFromQueue() }
            var metadata: Logger.Metadata = ["correlation": "\(run)", "status": "\(status.rawValue)"]
            if let error { metadata["error"] = "\(error)" }
            logger.log(level: status == .completed ? .debug : .notice, "run finished", metadata: metadata)
            tellRunEnded(run, status: status, error: error)
            for observer in runObservers { observer(run, status) }
        }
    }

    /// Tells the bus a run ended (the failure gate), in a task the drain waits for: a graceful
    /// shutdown right after a run failed still tells the broker.
    private func tellRunEnded(_ run: RunID, status: RunStatus, error: StepError?) {
        let dispatcher = self.dispatcher, ticket = UUID()
        notices[ticket] = Task { [weak self] in
            await dispatcher.runEnded(run, status: status, error: error)
            await self?.noticeDelivered(ticket)
        }
    }

    private func noticeDelivered(_ ticket: UUID) {
        notices.removeValue(forKey: ticket)
        wakeDrainIfIdle()
    }

    /// At most this long after the broker gave an attempt to an instance, the store knows
    /// which instance (sooner when anything else is written first): a re-send after a restart
    /// goes back to that instance.
    static let dispatchRecordDelay = Duration.milliseconds(10)

    /// Writes the dispatch records no other batch took once the oldest waited its delay.
    private nonisolated func writeDispatchRecordsWhenDue() async {
        var wait = dispatchRecords.delay
        while true {
            try? await Task.sleep(for: wait)
            switch dispatchRecords.next() {
            case .nothing: return
            case .wait(let more): wait = more
            case .writeNow:
                await startFlushing()
                return
            }
        }
    }

    /// Hands free resources to waiting steps, which then go out.
    private func grantResources() {
        for key in resourcePool.grant() {
            let now = clock.now
            commit(update(key.run) { $0.granted(step: key.step, now: now) })
        }
    }

    private func schedule(run: RunID, at date: Date, _ action: @escaping @Sendable (isolated Engine) -> Void) {
        let clock = self.clock
        let timer = Task { [weak self] in
            do {
                try await clock.sleep(until: date)
            } catch {
                return  // cancelled: the run was forgotten
            }
            guard let self else { return }
            await action(self)
        }
        runs[run]?.timers.append(timer)
    }

    /// Drops everything the engine holds for `run`: its state, timers, attempts in flight,
    /// watchers (they return) and resource requests.
    private func forget(_ run: RunID) {
        guard let entry = runs.removeValue(forKey: run) else { return }
        releaseFinishWaiters(of: run)
        if entry.admitted { admittedCount -= 1 } else { queue.removeAll { $0 == run } }
        for key in resourcePool.waiting.map(\.key) where key.run == run { resourcePool.release(key) }
        for timer in entry.timers { timer.cancel() }
        for task in entry.inFlight.values { task.cancel() }
        for ticket in entry.watchers { wake(ticket) }
        wakeDrainIfIdle()
    }

    /// After a failed write, memory may be ahead of the store: forget those runs and pick
    /// them up again from what the store holds.
    private func reload(_ ids: Set<RunID>) async {
        for id in ids { forget(id) }
        pending.changes.removeAll { ids.contains($0.run) }
        pending.effects.removeAll { ids.contains($0.run) }
        do {
            try await resume()
        } catch {
            logger.error("cannot reload runs", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Reconciliation

    /// Looks for stalled runs every `reconcileInterval` until the task is cancelled.
    private func reconcileUntilCancelled() async {
        while true {
            do {
                try await clock.sleep(for: options.reconcileInterval)
            } catch {
                return
            }
            await reconcile()
        }
    }

    /// The first step of a shutdown, as soon as it begins (before the services stopped ahead of
    /// the engine are down): nothing new is admitted or sent from now on. What was decided but
    /// not sent is stored as dispatched and goes out on the next start, with its key.
    public func stopDispatching() {
        draining = true
        for id in queue {
            runs.removeValue(forKey: id)
            releaseFinishWaiters(of: id)
        }
        queue.removeAll()
    }

    /// Shuts down gracefully: nothing new is admitted or sent, attempts in flight get up to
    /// `grace` to finish (their results are recorded), then whatever remains is left resumable.
    func drain(grace: Duration) async {
        stopDispatching()
        let deadline = clock.now.addingTimeInterval(grace.seconds)
        if attemptsInFlight > 0 { await tellWhatTheDrainWaitsFor(grace: grace) }
        while !isIdle, clock.now < deadline {
            let ticket = UUID()
            idleWaiters.insert(ticket)
            await suspend(ticket, until: deadline)
            idleWaiters.remove(ticket)
        }
        let inFlight = attemptsInFlight
        if inFlight > 0 {
            logger.notice("shutdown grace over; attempts still in flight will be sent again on restart", metadata: ["in_flight": "\(inFlight)"])
        } else {
            logger.debug("engine drained: no attempt in flight")
        }
        shutDown()
    }

    /// Says what a shutdown waits for, so a person at Ctrl-C is not left guessing through the
    /// grace period: each attempt in flight (up to five), and whether any agent offers it.
    private func tellWhatTheDrainWaitsFor(grace: Duration) async {
        let waiting = runs.sorted { $0.key < $1.key }.flatMap { run, entry in
            entry.inFlight.keys.sorted().map { (run: run, step: $0, capability: entry.state.stepDefinition($0)?.capability ?? "?") }
        }
        // The broker is asked once per capability named, and only for the few shown.
        let shown = waiting.prefix(5)
        var offered: [String: Bool] = [:]
        for capability in Set(shown.map(\.capability)) { offered[capability] = await dispatcher.isOffered(capability) != false }
        let lines = shown.map { "\($0.run) step '\($0.step)' (\($0.capability)\(offered[$0.capability] == false ? ", which no agent offers" : ""))" }
        let more = waiting.count > shown.count ? "; and \(waiting.count - shown.count) more" : ""
        logger.notice("shutting down: waiting up to \(grace.readable) for \(waiting.count) attempt(s) in flight: \(lines.joined(separator: "; "))\(more)")
    }

    /// Attempts in flight across every run.
    private var attemptsInFlight: Int { runs.values.reduce(0) { $0 + $1.inFlight.count } }

    /// Nothing in flight, nothing being written, no run-end notice on its way.
    private var isIdle: Bool { !flushing && attemptsInFlight == 0 && notices.isEmpty }

    private func wakeDrainIfIdle() {
        guard !idleWaiters.isEmpty, isIdle else { return }
        for ticket in idleWaiters { wake(ticket) }
        idleWaiters.removeAll()
    }

    /// Abandons attempts in flight and forgets every run (they stay recorded as dispatched, so
    /// a restarted engine sends them again): what a crash leaves, without the crash.
    func shutDown() {
        let held = runs.values
        runs.removeAll()
        queue.removeAll()
        admittedCount = 0
        for entry in held {
            for task in entry.inFlight.values { task.cancel() }
            for timer in entry.timers { timer.cancel() }
        }
        // Whoever waits on a run or on the drain returns: nothing here will change any more.
        for ticket in Array(waiters.keys) { wake(ticket) }
        for run in Array(finishWaiters.keys) { releaseFinishWaiters(of: run) }
        idleWaiters.removeAll()
        resourcePool = ResourcePool(capacities: options.resources)
    }

    /// Finds runs that stopped making progress and says why; a run with nothing in flight and
    /// nothing scheduled is advanced again.
    func reconcile() async {
        let now = clock.now
        for (id, entry) in runs where entry.admitted {
            let state = entry.state
            let idle = now.timeIntervalSince(entry.lastProgress)
            guard idle >= options.stallThreshold.seconds else { continue }
            let reasons = await waitingReasons(id)
            if reasons.isEmpty {
                logger.warning("run made no progress and waits on nothing; advancing it", metadata: ["correlation": "\(id)"])
                commit(update(id) { $0.advance(now: now) })
            } else {
                logger.warning("run is waiting", metadata: ["correlation": "\(id)", "workflow": "\(state.definition.name)",
                                                            "reasons": "\(reasons.joined(separator: "; "))"])
            }
            runs[id]?.lastProgress = now
        }
    }

    /// Why an active run is not done yet, one line per waiting step.
    public func waitingReasons(_ run: RunID) async -> [String] {
        guard let entry = runs[run] else { return [] }
        guard entry.admitted else { return ["queued: \(entry.queueReason ?? "about to start")"] }
        let state = entry.state
        var reasons: [String] = []
        if state.status == .paused {
            let since = state.pausedSince.map { " since \($0.timestamp)" } ?? ""
            reasons.append("the run is paused\(since)\(state.pauseReason.map { " (\($0))" } ?? ""): nothing new is dispatched until it is resumed")
        }
        for (id, step) in state.steps.sorted(by: { $0.key < $1.key }) {
            guard let definition = state.stepDefinition(id) else { continue }
            switch step.status {
            case .dispatched:
                let since = step.attemptStartedAt.map { " for \(Int(clock.now.timeIntervalSince($0)))s" } ?? ""
                if await dispatcher.isOffered(definition.capability) == false {
                    reasons.append("step '\(id)' waits\(since): no agent offers '\(definition.capability)'")
                } else {
                    reasons.append("step '\(id)' waits\(since) for '\(definition.capability)' (attempt \(step.attempt))")
                }
            case .retrying:
                reasons.append("step '\(id)' waits for its retry timer (attempt \(step.attempt + 1) next)")
            case .waiting:
                let since = step.attemptStartedAt.map { " since \($0.timestamp)" } ?? ""
                let limit = definition.waitFor?.timeout.flatMap { timeout in
                    step.attemptStartedAt.map { " (times out at \($0.addingTimeInterval(timeout.seconds).timestamp))" }
                } ?? ""
                reasons.append("step '\(id)' waits for signal '\(definition.waitFor?.signal ?? "?")'\(since)\(limit)")
            case .ready:
                reasons.append("step '\(id)' \(resourcePool.reason(for: StepKey(run: run, step: id)) ?? "waits for its resources")")
            default:
                continue
            }
        }
        return reasons
    }

    /// The most data one signal may carry (it becomes a step's output, stored with the run).
    public static let maximumSignalBytes = 1 << 20

    /// A child step's run: named after the attempt, so a restart awaits the same child.
    static func childRunID(_ order: DispatchOrder) -> RunID { RunID("\(order.run).\(order.step).\(order.attempt)") }

    /// Why a child run is cancelled with its parent's step.
    static let abandoned = StepError(code: .cancelled, message: "its parent step was abandoned (parent cancelled or failed)")

    static func newRunID() -> RunID {
        RunID(String(format: "r-%016llx", UInt64.random(in: .min ... .max)))
    }
}

/// A signal the engine accepted and stored.
public struct SignalReceipt: Codable, Sendable, Hashable {
    public var id: String
    public var run: RunID
    public var signal: String
    /// The step that took it, or nil when it is kept for a step the run has not reached yet.
    public var step: StepID?
    public var sentAt: Date
}

/// Why the engine refused an operation.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case invalidInput(InputError)
    case notActive(RunID)
    case store(StoreError)
    /// The run ended already (a signal to it is refused).
    case ended(RunID, RunStatus)
    /// No step of the run's workflow waits for a signal of this name.
    case unknownSignal(run: RunID, name: String, known: [String])
    /// Every step of the run that waits for this signal is done.
    case signalNotAwaited(run: RunID, name: String)
    /// Over a bound: the data's size, or the signals a run keeps.
    case signalRefused(run: RunID, reason: String)
    /// The run queue holds `limit` runs already.
    case queueFull(limit: Int)
    /// Only an ended run can be retried.
    case notFinished(RunID, RunStatus)
    /// A retry named a step its workflow does not have.
    case unknownStep(StepID, workflow: String, known: [StepID])
    /// A retry with nothing to run again (every step succeeded and none was named).
    case nothingToRetry(RunID)
    /// Only a running run that is not failing can be paused.
    case notPausable(RunID, RunStatus, failing: Bool)
    /// Only a paused run can be resumed.
    case notPaused(RunID, RunStatus)

    public var description: String {
        switch self {
        case .invalidInput(let error): return "invalid input: \(error)"
        case .notActive(let run): return "run \(run) is not active in this orchestrator"
        case .store(let error): return "\(error)"
        case .ended(let run, let status): return "run \(run) already \(status.rawValue)"
        case .unknownSignal(let run, let name, let known):
            return "run \(run) waits for no signal '\(name)'; "
                + (known.isEmpty ? "its workflow has no wait_for steps" : "its workflow waits for \(known.map { "'\($0)'" }.joined(separator: ", "))")
        case .signalNotAwaited(let run, let name): return "no step of run \(run) waits for signal '\(name)' any more"
        case .signalRefused(let run, let reason): return "run \(run) refuses the signal: \(reason)"
        case .queueFull(let limit): return "the run queue is full (\(limit) runs wait); try again later or raise orchestrator.max_queued_runs"
        case .notPausable(let run, let status, let failing):
            return failing ? "run \(run) is failing (its handlers run); it cannot be paused"
                : "run \(run) is \(status.rawValue); only a running run can be paused"
        case .notPaused(let run, let status): return "run \(run) is \(status.rawValue), not paused"
        case .notFinished(let run, let status): return "run \(run) is \(status.rawValue); only an ended run can be retried (cancel it first)"
        case .unknownStep(let step, let workflow, let known):
            return "workflow '\(workflow)' has no step '\(step)'; its steps: \(known.map(\.rawValue).joined(separator: ", "))"
        case .nothingToRetry(let run): return "every step of run \(run) succeeded; name the steps to run again with --from"
        }
    }
}

extension StoreChange {
    /// The run the change belongs to.
    var run: RunID {
        switch self {
        case .run(let transition): return transition.run
        case .step(let transition): return transition.run
        case .attemptDispatched(let run, _, _, _): return run
        case .signal(let signal): return signal.runID
        }
    }
}

extension Effect {
    var run: RunID {
        switch self {
        case .dispatch(let order): return order.run
        case .abandon(let run, _), .retry(let run, _, _), .signalTimeout(let run, _, _), .finished(let run, _, _), .acquire(let run, _, _),
             .hold(let run, _, _), .release(let run, _):
            return run
        }
    }
}

extension Engine: Service {
    /// Reconciles until a graceful shutdown, then drains: nothing new is sent, attempts in
    /// flight get `shutdownGrace` to finish and be recorded. Cancelled instead (the lease was
    /// lost), it stops at once; what was in flight is sent again by the next active engine.
    /// Call `resume()` first.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.reconcileUntilCancelled() }
        await drain(grace: Task.isCancelled ? .zero : options.shutdownGrace)
    }
}
