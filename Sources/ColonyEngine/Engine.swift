import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
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
        /// Capacities of the named resources steps may declare (1 when not listed).
        public var resources: [String: Int] = [:]

        public init() {}
    }

    let store: any WorkflowStore
    let dispatcher: any StepDispatcher
    let options: Options
    let logger: Logger

    private var runs: [String: RunState] = [:]
    /// Runs created but not yet admitted (limits), in queue order, and why each waits.
    private var queue: [RunState] = []
    private var queueReasons: [String: String] = [:]
    private var resourcePool: ResourcePool
    private var inFlight: [StepKey: Task<Void, Never>] = [:]
    private var timers: [String: [Task<Void, Never>]] = [:]
    private var pending = Plan()
    private var flushing = false
    private var generation: UInt64 = 0
    private var changedAt: [String: UInt64] = [:]
    private var watchers: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    private var lastProgress: [String: Date] = [:]
    private var reconciler: Task<Void, Never>?
    /// Set while shutting down gracefully: attempts in flight may finish, new ones are not sent
    /// (they stay recorded as dispatched, and go out when the orchestrator starts again).
    private var draining = false
    private var runObservers: [@Sendable (String, RunStatus) -> Void] = []
    /// Where child workflow steps find the definition to run.
    private var childDefinitions: (@Sendable (String) async -> (id: Int64, definition: WorkflowDefinition)?)?

    struct StepKey: Hashable {
        var run: String
        var step: String
    }

    public init(store: any WorkflowStore, dispatcher: any StepDispatcher, options: Options = Options(), logger: Logger) {
        self.store = store
        self.dispatcher = dispatcher
        self.options = options
        self.logger = logger
        self.resourcePool = ResourcePool(capacities: options.resources)
    }

    // MARK: Runs

    /// Creates a run of `definition` (stored as version `definitionID`) and starts it.
    /// A child run (`parent`) gets the id given and is admitted at once, outside the limits:
    /// its parent already holds a slot and waits for it.
    public func start(
        definitionID: Int64, definition: WorkflowDefinition, input: JSONValue, priority: Int = 0,
        schedule: (id: String, at: Date)? = nil, id: String? = nil, parent: (run: String, step: String)? = nil
    ) async throws(EngineError) -> RunRecord {
        let resolved: JSONValue
        switch definition.resolveInput(input) {
        case .success(let value): resolved = value
        case .failure(let error): throw .invalidInput(error)
        }
        let record = RunRecord(id: id ?? Self.newRunID(), workflow: definition.name, definitionID: definitionID, input: resolved,
                               priority: priority, scheduleID: schedule?.id, scheduledAt: schedule?.at,
                               parentRunID: parent?.run, parentStepID: parent?.step)
        do {
            try await store.createRun(record, steps: definition.steps.map(\.id))
        } catch {
            throw .store(error)
        }
        let state = RunState(id: record.id, definition: definition, input: resolved, defaultAttemptTimeout: options.defaultAttemptTimeout,
                             priority: priority, createdAt: record.createdAt)
        logger.info("run queued", metadata: ["correlation": "\(record.id)", "workflow": "\(definition.name)", "priority": "\(priority)"])
        if parent != nil {
            admit(state)
        } else {
            enqueue(state)
        }
        return record
    }

    /// Cancels a run: nothing more is dispatched, attempts in flight are abandoned, and the
    /// bus is told so agents stop working on it. Returns the run's final status.
    public func cancel(run id: String, reason: String) async throws(EngineError) -> RunStatus {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            // A queued run is cancelled like an active one, without being admitted first.
            runs[id] = queue.remove(at: index)
            queueReasons.removeValue(forKey: id)
        }
        guard runs[id] != nil else {
            let snapshot: RunSnapshot
            do {
                snapshot = try await store.snapshot(run: id)
            } catch {
                throw .store(error)
            }
            guard snapshot.run.status.isFinal else { throw .notActive(id) }
            return snapshot.run.status
        }
        let plan = update(id) { $0.cancel(reason: reason) }
        let before = generation
        commit(plan)
        logger.notice("run cancelled", metadata: ["correlation": "\(id)", "reason": "\(reason)"])
        await waitForChange(run: id, after: before, timeout: .seconds(10))
        return .cancelled
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
                    commit(state.resumption(now: Date()))
                    admit(state)
                }
                resumed += 1
            } catch {
                logger.error("cannot resume run", metadata: ["correlation": "\(snapshot.run.id)", "error": "\(error)"])
            }
        }
        startReconciling()
        return resumed
    }

    /// Whether `run` is queued or in progress in this engine.
    public func isActive(_ run: String) -> Bool { runs[run] != nil || queue.contains { $0.id == run } }

    /// Returns when `run` is no longer queued or in progress here.
    public func waitUntilFinished(_ run: String) async {
        while isActive(run) {
            await waitForChange(run: run, after: generation, timeout: .seconds(1))
        }
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
        guard let name = order.childWorkflow else { return .failed(StepError(code: "internal", message: "not a child step"), agent: nil) }
        let childID = "\(order.run).\(order.step).\(order.attempt)"
        if (try? await store.snapshot(run: childID)) == nil {
            guard let (id, definition) = await childDefinitions?(name) else {
                return .failed(StepError(code: "unknown_workflow", message: "no runnable workflow '\(name)' for child step \(order.step)"), agent: nil)
            }
            do {
                _ = try await start(definitionID: id, definition: definition, input: order.input, id: childID, parent: (order.run, order.step))
            } catch {
                return .failed(StepError(code: "child_failed", message: "cannot start child workflow '\(name)': \(error)"), agent: nil)
            }
        }
        await withTaskCancellationHandler {
            await waitUntilFinished(childID)
        } onCancel: {
            Task { _ = try? await self.cancel(run: childID, reason: "its parent step was abandoned (parent cancelled or failed)") }
        }
        guard let snapshot = try? await store.snapshot(run: childID) else {
            return .failed(StepError(code: "child_failed", message: "child run \(childID) is gone"), agent: nil)
        }
        switch snapshot.run.status {
        case .completed:
            return .succeeded(output: snapshot.run.output ?? .null, agent: nil)
        case .failed:
            return .failed(StepError(code: snapshot.run.errorCode ?? "child_failed",
                                     message: "child workflow '\(name)' (run \(childID)) failed: \(snapshot.run.errorMessage ?? "")"), agent: nil)
        default:
            return .failed(StepError(code: "cancelled", message: "child workflow '\(name)' (run \(childID)) was \(snapshot.run.status.rawValue)"), agent: nil)
        }
    }

    /// Calls `observer` with each run that ends here, once its end is durable.
    public func observeRunEnds(_ observer: @escaping @Sendable (String, RunStatus) -> Void) {
        runObservers.append(observer)
    }

    // MARK: Watching

    /// A counter that grows with every durable change; pass it to `waitForChange`.
    public var changeGeneration: UInt64 { generation }

    /// Returns once `run` changed after `generation` (at once if it did already, or if the run
    /// is not active here), or after `timeout`.
    public func waitForChange(run: String, after generation: UInt64, timeout: Duration) async {
        guard isActive(run), changedAt[run, default: 0] <= generation else { return }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.release(run: run, watcher: id)
        }
        await withCheckedContinuation { continuation in
            watchers[run, default: [:]][id] = continuation
        }
        timer.cancel()
    }

    private func release(run: String, watcher: UUID) {
        watchers[run]?.removeValue(forKey: watcher)?.resume()
    }

    private func notifyWatchers(of run: String) {
        changedAt[run] = generation
        guard let waiting = watchers.removeValue(forKey: run) else { return }
        for continuation in waiting.values { continuation.resume() }
    }

    // MARK: The queue

    /// A queued run waiting for admission.
    public struct QueuedRun: Codable, Sendable, Hashable {
        public var run: String
        public var workflow: String
        public var priority: Int
        public var createdAt: Date
        public var reason: String
    }

    /// Runs waiting for admission, in the order they will be admitted.
    public var queuedRuns: [QueuedRun] {
        queue.map { QueuedRun(run: $0.id, workflow: $0.definition.name, priority: $0.priority, createdAt: $0.createdAt,
                              reason: queueReasons[$0.id] ?? "about to start") }
    }

    /// A step waiting for named resources.
    public struct ResourceWait: Codable, Sendable, Hashable {
        public var run: String
        public var step: String
        public var resources: [String]
        public var priority: Int
        public var reason: String
    }

    /// Steps waiting for resources, in the order they will get them.
    public var resourceWaits: [ResourceWait] {
        resourcePool.waiting.map { request in
            ResourceWait(run: request.key.run, step: request.key.step, resources: request.resources, priority: request.priority,
                         reason: resourcePool.reason(for: request.key) ?? "")
        }
    }

    private func enqueue(_ state: RunState) {
        queue.append(state)
        queue.sort { ($1.priority, $0.createdAt) < ($0.priority, $1.createdAt) }
        admitFromQueue()
    }

    /// Admits queued runs while the limits allow, in priority then age order; records why the
    /// others wait.
    private func admitFromQueue() {
        var index = 0
        while index < queue.count {
            let state = queue[index]
            if runs.count >= options.maxConcurrentRuns {
                for waiting in queue[index...] {
                    queueReasons[waiting.id] = "the global limit of \(options.maxConcurrentRuns) concurrent runs is reached"
                }
                return
            }
            if let limit = state.definition.maxConcurrentRuns,
               runs.values.lazy.filter({ $0.definition.name == state.definition.name }).count >= limit {
                queueReasons[state.id] = "workflow '\(state.definition.name)' allows \(limit) concurrent run\(limit == 1 ? "" : "s")"
                index += 1
                continue
            }
            queue.remove(at: index)
            queueReasons.removeValue(forKey: state.id)
            admit(state)
        }
    }

    // MARK: Moving runs

    private func admit(_ state: RunState) {
        let id = state.id
        runs[id] = state
        lastProgress[id] = Date()
        commit(update(id) { $0.advance(now: Date()) })
        if let deadline = runs[id]?.deadline {
            schedule(run: id, at: deadline) { $0.runTimedOut(id) }
        }
    }

    /// Applies `change` to the run's state in place (no copy of its step table) and returns
    /// what it decided; nothing when the run is not active.
    private func update(_ run: String, _ change: (inout RunState) -> Plan) -> Plan {
        guard var state = runs.removeValue(forKey: run) else { return Plan() }
        let plan = change(&state)
        runs[run] = state
        return plan
    }

    private func completed(_ order: DispatchOrder, _ result: StepResult) {
        inFlight.removeValue(forKey: StepKey(run: order.run, step: order.step))
        commit(update(order.run) { $0.record(result, step: order.step, attempt: order.attempt, now: Date()) })
    }

    private func retryDue(_ run: String, _ step: String) {
        commit(update(run) { $0.retryDue(step: step, now: Date()) })
    }

    private func runTimedOut(_ run: String) {
        let plan = update(run) { $0.timedOut(now: Date()) }
        if !plan.changes.isEmpty {
            logger.warning("run timed out", metadata: ["correlation": "\(run)"])
        }
        commit(plan)
    }

    // MARK: Writing, then acting

    private func commit(_ plan: Plan) {
        guard !plan.changes.isEmpty || !plan.effects.isEmpty else { return }
        pending.append(plan)
        guard !flushing else { return }
        flushing = true
        Task { await self.flush() }
    }

    /// Writes what was decided, then does what the decisions call for; decisions made while
    /// a write is in progress go into the next one.
    private func flush() async {
        while !(pending.changes.isEmpty && pending.effects.isEmpty) {
            let batch = pending
            pending = Plan()
            do {
                try await store.apply(batch.changes)
            } catch {
                logger.error("cannot record a batch of transitions; reloading the runs involved", metadata: ["error": "\(error)"])
                await reload(Set(batch.changes.map(\.run)))
                continue
            }
            generation += 1
            var touched = Set<String>()
            for change in batch.changes { touched.insert(change.run) }
            for effect in batch.effects { perform(effect) }
            for run in touched {
                lastProgress[run] = Date()
                notifyWatchers(of: run)
            }
        }
        flushing = false
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .dispatch(let order):
            guard !draining else { return }
            let key = StepKey(run: order.run, step: order.step)
            inFlight[key]?.cancel()
            let dispatcher = self.dispatcher
            inFlight[key] = Task {
                let result = order.childWorkflow == nil
                    ? await dispatcher.dispatch(order) { [weak self] instance in Task { await self?.recordDispatch(order, to: instance) } }
                    : await self.runChild(order)
                self.completed(order, result)
            }
        case .abandon(let run, let step):
            inFlight.removeValue(forKey: StepKey(run: run, step: step))?.cancel()
        case .retry(let run, let step, let delay):
            schedule(run: run, at: Date().addingTimeInterval(delay.seconds)) { $0.retryDue(run, step) }
        case .acquire(let run, let step, let resources):
            let state = runs[run]
            resourcePool.enqueue(StepKey(run: run, step: step), resources: resources, priority: state?.priority ?? 0, createdAt: state?.createdAt ?? Date())
            grantResources()
        case .hold(let run, let step, let resources):
            resourcePool.hold(StepKey(run: run, step: step), resources: resources)
        case .release(let run, let step):
            resourcePool.release(StepKey(run: run, step: step))
            grantResources()
        case .finished(let run, let status, let error):
            forget(run)
            defer { admitFromQueue() }
            var metadata: Logger.Metadata = ["correlation": "\(run)", "status": "\(status.rawValue)"]
            if let error { metadata["error"] = "\(error)" }
            logger.log(level: status == .completed ? .info : .notice, "run finished", metadata: metadata)
            let dispatcher = self.dispatcher
            Task { await dispatcher.runEnded(run, status: status, error: error) }
            notifyWatchers(of: run)
            changedAt.removeValue(forKey: run)
            for observer in runObservers { observer(run, status) }
        }
    }

    /// Records which agent instance got an attempt, so that a re-send after a restart goes back
    /// to it (written with the next batch; nothing waits for it).
    private func recordDispatch(_ order: DispatchOrder, to instance: String) {
        // A notice can come after the run ended (a request that waited in the broker's queue):
        // nothing to record then, and nothing may be left behind for a forgotten run.
        guard runs[order.run] != nil else { return }
        commit(Plan(changes: [.attemptDispatched(run: order.run, step: order.step, attempt: order.attempt, instance: instance)]))
    }

    /// Hands free resources to waiting steps, which then go out.
    private func grantResources() {
        for key in resourcePool.grant() {
            commit(update(key.run) { $0.granted(step: key.step, now: Date()) })
        }
    }

    private func schedule(run: String, at date: Date, _ action: @escaping @Sendable (isolated Engine) -> Void) {
        let delay = max(0, date.timeIntervalSinceNow)
        let timer = Task { [weak self] in
            try? await Task.sleep(for: Duration(clampingSeconds: delay))
            guard !Task.isCancelled, let self else { return }
            await action(self)
        }
        timers[run, default: []].append(timer)
    }

    /// Drops everything the engine holds for `run`: its state, timers, attempts in flight and
    /// resource requests.
    private func forget(_ run: String) {
        runs.removeValue(forKey: run)
        lastProgress.removeValue(forKey: run)
        for key in resourcePool.waiting.map(\.key) where key.run == run { resourcePool.release(key) }
        for timer in timers.removeValue(forKey: run) ?? [] { timer.cancel() }
        for key in inFlight.keys where key.run == run { inFlight.removeValue(forKey: key)?.cancel() }
    }

    /// After a failed write, memory may be ahead of the store: forget those runs and pick
    /// them up again from what the store holds.
    private func reload(_ ids: Set<String>) async {
        queue.removeAll { ids.contains($0.id) }
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

    private func startReconciling() {
        guard reconciler == nil else { return }
        let interval = options.reconcileInterval
        reconciler = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.reconcile()
            }
        }
    }

    /// Shuts down gracefully: nothing new is admitted or sent, attempts in flight get up to
    /// `grace` to finish (their results are recorded), then whatever remains is left resumable.
    public func drain(grace: Duration) async {
        draining = true
        queue.removeAll()
        let deadline = ContinuousClock.now + grace
        while !inFlight.isEmpty || flushing, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !inFlight.isEmpty {
            logger.notice("shutdown grace over; attempts still in flight will be sent again on restart", metadata: ["in_flight": "\(inFlight.count)"])
        }
        shutDown()
    }

    /// Stops the periodic reconciliation and abandons attempts in flight (they stay recorded
    /// as dispatched, so a restarted engine sends them again).
    public func shutDown() {
        reconciler?.cancel()
        reconciler = nil
        for task in inFlight.values { task.cancel() }
        inFlight.removeAll()
        for task in timers.values.flatMap({ $0 }) { task.cancel() }
        timers.removeAll()
        runs.removeAll()
        queue.removeAll()
        queueReasons.removeAll()
        resourcePool = ResourcePool(capacities: options.resources)
    }

    /// Finds runs that stopped making progress and says why; a run with nothing in flight and
    /// nothing scheduled is advanced again.
    func reconcile() async {
        let now = Date()
        for (id, state) in runs {
            let idle = now.timeIntervalSince(lastProgress[id] ?? now)
            guard idle >= options.stallThreshold.seconds else { continue }
            let reasons = await waitingReasons(id)
            if reasons.isEmpty {
                logger.warning("run made no progress and waits on nothing; advancing it", metadata: ["correlation": "\(id)"])
                commit(update(id) { $0.advance(now: now) })
            } else {
                logger.warning("run is waiting", metadata: ["correlation": "\(id)", "workflow": "\(state.definition.name)",
                                                            "reasons": "\(reasons.joined(separator: "; "))"])
            }
            lastProgress[id] = now
        }
    }

    /// Why an active run is not done yet, one line per waiting step.
    public func waitingReasons(_ run: String) async -> [String] {
        if queue.contains(where: { $0.id == run }) {
            return ["queued: \(queueReasons[run] ?? "about to start")"]
        }
        guard let state = runs[run] else { return [] }
        var reasons: [String] = []
        for (id, step) in state.steps.sorted(by: { $0.key < $1.key }) {
            guard let definition = state.index.step(id) else { continue }
            switch step.status {
            case .dispatched:
                let since = step.attemptStartedAt.map { " for \(Int(Date().timeIntervalSince($0)))s" } ?? ""
                if await dispatcher.isOffered(definition.capability) == false {
                    reasons.append("step '\(id)' waits\(since): no agent offers '\(definition.capability)'")
                } else {
                    reasons.append("step '\(id)' waits\(since) for '\(definition.capability)' (attempt \(step.attempt))")
                }
            case .retrying:
                reasons.append("step '\(id)' waits for its retry timer (attempt \(step.attempt + 1) next)")
            case .ready:
                reasons.append("step '\(id)' \(resourcePool.reason(for: StepKey(run: run, step: id)) ?? "waits for its resources")")
            default:
                continue
            }
        }
        return reasons
    }

    static func newRunID() -> String {
        String(format: "r-%016llx", UInt64.random(in: .min ... .max))
    }
}

/// Why the engine refused an operation.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case invalidInput(InputError)
    case notActive(String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .invalidInput(let error): return "invalid input: \(error)"
        case .notActive(let run): return "run \(run) is not active in this orchestrator"
        case .store(let error): return "\(error)"
        }
    }
}

extension StoreChange {
    /// The run the change belongs to.
    var run: String {
        switch self {
        case .run(let transition): return transition.run
        case .step(let transition): return transition.run
        case .attemptDispatched(let run, _, _, _): return run
        }
    }
}

extension Effect {
    var run: String {
        switch self {
        case .dispatch(let order): return order.run
        case .abandon(let run, _), .retry(let run, _, _), .finished(let run, _, _), .acquire(let run, _, _), .hold(let run, _, _),
             .release(let run, _):
            return run
        }
    }
}
