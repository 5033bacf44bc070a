import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import ColonyCore

/// The engine's picture of one run, and the rules that move it. Pure: every method returns
/// the store changes and effects it decided, and the engine makes the changes durable before
/// it performs the effects. Nothing here touches the bus, the clock or the database.
struct RunState: Sendable {
    let id: RunID
    let definition: WorkflowDefinition
    let input: JSONValue
    /// Changed only by RunState and its extensions (RunState+Pause).
    var status: RunStatus
    private(set) var steps: [StepID: StepState]
    /// Set while a failed run runs its handlers, before it is marked failed.
    private(set) var failure: RunFailure?
    private(set) var startedAt: Date?
    /// The default time limit of one attempt.
    let defaultAttemptTimeout: Duration
    /// Steps by id and who depends on whom, computed once per run.
    let index: StepIndex
    /// Steps (not handlers) not yet succeeded, failed, skipped or cancelled.
    private var openSteps: Int
    /// Queue order: higher priority first, then older.
    let priority: Int
    let createdAt: Date
    /// Signals sent to the run that no step has taken yet, oldest first (RunState+Signals).
    var unclaimedSignals: [SignalRecord] = []
    /// While paused: since when, and why (RunState+Pause).
    var pausedSince: Date?
    var pauseReason: String?
    /// Fanned-out steps (`for_each`) and their instances (RunState+ForEach).
    var fanOuts: [StepID: FanOut] = [:]
    var instances: [StepID: FanOut.Instance] = [:]

    /// A new run: every step pending.
    init(id: RunID, definition: WorkflowDefinition, input: JSONValue, defaultAttemptTimeout: Duration, priority: Int = 0, createdAt: Date) {
        self.id = id
        self.priority = priority
        self.createdAt = createdAt
        self.definition = definition
        self.input = input
        self.status = .pending
        self.steps = Dictionary(uniqueKeysWithValues: definition.steps.map { ($0.id, StepState(status: .pending)) })
        self.defaultAttemptTimeout = defaultAttemptTimeout
        self.index = StepIndex(definition)
        self.openSteps = definition.steps.count
    }

    /// A run as the store holds it (after a restart).
    init(snapshot: RunSnapshot, definition: WorkflowDefinition, defaultAttemptTimeout: Duration) {
        self.init(id: snapshot.run.id, definition: definition, input: snapshot.run.input, defaultAttemptTimeout: defaultAttemptTimeout,
                  priority: snapshot.run.priority, createdAt: snapshot.run.createdAt)
        status = snapshot.run.status
        startedAt = snapshot.run.startedAt
        let attemptsByStep = Dictionary(grouping: snapshot.attempts, by: \.stepID)
        for record in snapshot.steps {
            var state = StepState(status: record.status)
            state.attempt = record.attempts
            state.output = record.output
            state.error = record.errorCode.map { StepError(code: $0, message: record.errorMessage ?? "") }
            let attempts = attemptsByStep[record.stepID] ?? []
            state.firstStartedAt = attempts.map(\.startedAt).min()
            if let latest = attempts.max(by: { $0.attempt < $1.attempt }) {
                state.input = latest.input
                state.attemptStartedAt = latest.startedAt
                state.lastFinishedAt = latest.finishedAt
                state.instance = latest.instance
            }
            steps[record.stepID] = state
        }
        openSteps = definition.steps.filter { steps[$0.id]?.status.isFinal != true }.count
        unclaimedSignals = snapshot.signals.filter { $0.stepID == nil }
        restoreFanOuts()
        for step in definition.steps where steps[step.id]?.status == .failed {
            if let failure = fatalFailure(of: step, error: steps[step.id]?.error) {
                self.failure = failure
                break
            }
        }
        if status == .paused, let paused = snapshot.transitions.last(where: { $0.stepID == nil && $0.to == RunStatus.paused.rawValue }) {
            pausedSince = paused.at
            pauseReason = paused.detail
        }
        if failure == nil, status == .running || status == .paused,
           snapshot.transitions.contains(where: { $0.stepID == nil && $0.detail == Self.runTimeoutDetail }) {
            failure = RunFailure(step: nil, error: StepError(code: .runTimeout, message: "the run exceeded its timeout"), compensation: nil)
        }
    }

    static let runTimeoutDetail = "run timeout"

    /// The run's deadline, if it has a timeout and has started.
    var deadline: Date? {
        guard let timeout = definition.timeout, let startedAt else { return nil }
        return startedAt.addingTimeInterval(timeout.seconds)
    }

    func state(of step: StepID) -> StepState? { steps[step] }

    // MARK: Moving forward

    /// Everything that can happen now: the run starts, steps whose dependencies are done are
    /// dispatched or skipped, a failing run runs its handlers, a run with nothing left ends.
    /// `changed` names the step that just finished, so only its dependents are looked at.
    mutating func advance(now: Date, changed: StepID? = nil) -> Plan {
        var plan = Plan()
        guard !status.isFinal else { return plan }
        if status == .pending {
            plan.changes.append(.run(RunTransition(run: id, from: .pending, to: .running)))
            status = .running
            startedAt = now
        }
        var changed = changed
        if let id = changed, let instance = instances[id] {
            // An instance of a fanned-out step ended: the step ends with its last one (or its
            // first failure, failing fast); until then the next instances start.
            let (settled, ended) = settleFanOut(instance, now: now)
            plan.append(settled)
            guard ended else { return plan }
            changed = instance.parent
        }
        if status == .paused {
            guard failure != nil else {
                // Nothing new starts; a run whose last attempts finished while paused is done.
                if openSteps == 0 { plan.append(finish(.completed, error: nil)) }
                return plan
            }
            plan.append(liftPause(detail: "the pause ends: the run is failing"))
        }
        if failure != nil {
            plan.append(advanceFailing(now: now))
            return plan
        }
        if changed == nil {
            for parent in fanOuts.keys.sorted() where steps[parent]?.status == .running { plan.append(topUp(parent, now: now)) }
        }
        var worklist = changed.map { index.dependents[$0] ?? [] } ?? definition.steps.map(\.id)
        var position = 0
        while position < worklist.count {
            let id = worklist[position]
            position += 1
            guard steps[id]?.status == .pending, let step = index.step(id),
                  step.dependsOn.allSatisfy({ steps[$0]?.status.isFinal == true }) else { continue }
            if step.condition == nil, let blocked = step.dependsOn.first(where: { steps[$0]?.status != .succeeded }) {
                plan.append(skip(id, reason: "upstream step '\(blocked)' \(steps[blocked]!.status.rawValue)"))
                worklist += index.dependents[id] ?? []
            } else if let condition = step.condition, !condition.evaluate(resolve) {
                plan.append(skip(id, reason: "condition is false: \(step.conditionText ?? "")"))
                worklist += index.dependents[id] ?? []
            } else {
                plan.append(start(step, from: .pending, now: now))
                // A step that waited for a signal already sent is done at once.
                if steps[id]?.status.isFinal == true { worklist += index.dependents[id] ?? [] }
            }
        }
        if failure != nil {
            // A step started in this pass failed at once (a for_each that gave no list).
            plan.append(advanceFailing(now: now))
            return plan
        }
        if openSteps == 0 {
            plan.append(finish(.completed, error: nil))
        }
        return plan
    }

    /// Records what attempt `attempt` of `step` came to, then advances.
    /// `jitter` is a uniform draw in -1...1 that scales the retry policy's jitter (the caller
    /// owns the randomness, so this stays a function of its inputs).
    mutating func record(_ result: StepResult, step id: StepID, attempt: Int, now: Date, jitter: Double = 0) -> Plan {
        guard !status.isFinal, var state = steps[id], state.status == .dispatched, state.attempt == attempt,
              let step = stepDefinition(id), var record = attemptRecord(id, state, now: now) else { return Plan() }
        var plan = Plan()
        record.finishedAt = now
        state.lastFinishedAt = now
        switch result {
        case .succeeded(let output, let agent):
            record.status = .succeeded
            record.output = output
            record.agent = agent
            state.status = .succeeded
            if counts(id) { openSteps -= 1 }
            state.output = output
            state.error = nil
            plan.changes.append(.step(StepTransition(run: self.id, step: id, from: .dispatched, to: .succeeded, attempt: record)))
        case .failed(let error, let agent):
            record.errorCode = error.code
            record.errorMessage = error.message
            record.agent = agent
            state.error = error
            switch retryDecision(step, state: state, error: error, now: now, jitter: jitter) {
            case .retry(let delay):
                record.status = .failed
                state.status = .retrying
                plan.changes.append(.step(StepTransition(
                    run: self.id, step: id, from: .dispatched, to: .retrying, attempt: record,
                    detail: "attempt \(attempt) failed (\(error)); attempt \(attempt + 1) in \(delay.readable)"
                )))
                plan.effects.append(.retry(run: self.id, step: id, after: delay))
            case .stop(let final):
                record.status = .failed
                state.status = .failed
                if counts(id) { openSteps -= 1 }
                state.error = final
                plan.changes.append(.step(StepTransition(run: self.id, step: id, from: .dispatched, to: .failed, attempt: record, detail: "\(final)")))
                if failure == nil, let fatal = fatalFailure(of: step, error: final) {
                    failure = fatal
                }
            }
        }
        steps[id] = state
        if !step.resources.isEmpty { plan.effects.append(.release(run: self.id, step: id)) }
        plan.append(advance(now: now, changed: id))
        return plan
    }

    /// A retry's timer fired: the step's next attempt goes out (unless the run moved on).
    mutating func retryDue(step id: StepID, now: Date) -> Plan {
        guard !status.isFinal, status != .paused, failure == nil || isHandler(id), let state = steps[id], state.status == .retrying,
              let step = stepDefinition(id) else { return Plan() }
        return start(step, from: .retrying, now: now)
    }

    /// The step's resources were granted: its next attempt goes out.
    mutating func granted(step id: StepID, now: Date) -> Plan {
        guard !status.isFinal, status != .paused, let state = steps[id], state.status == .ready, let step = stepDefinition(id) else {
            return Plan(effects: [.release(run: self.id, step: id)])
        }
        return dispatch(step, attempt: state.attempt + 1, from: .ready, now: now)
    }

    /// The run's timeout passed: it fails (handlers still run).
    mutating func timedOut(now: Date) -> Plan {
        guard !status.isFinal, failure == nil else { return Plan() }
        let error = StepError(code: .runTimeout, message: "the run exceeded its timeout of \(definition.timeout?.readable ?? "?")")
        failure = RunFailure(step: nil, error: error, compensation: nil)
        var plan = Plan()
        plan.changes.append(.run(RunTransition(run: id, from: status, to: status, detail: Self.runTimeoutDetail)))
        plan.append(advance(now: now))
        return plan
    }

    /// Cancels the run: nothing more is dispatched, attempts in flight are abandoned.
    mutating func cancel(reason: String, now: Date) -> Plan {
        guard !status.isFinal else { return Plan() }
        var plan = Plan()
        if status == .pending {
            plan.changes.append(.run(RunTransition(run: id, from: .pending, to: .running, detail: "cancelled before starting")))
            status = .running
        }
        plan.append(cancelOpenSteps(reason: "run cancelled: \(reason)", includingHandlers: true, now: now))
        plan.append(finish(.cancelled, error: StepError(code: .cancelled, message: reason)))
        return plan
    }

    /// The attempts in flight and the retries waiting, as effects that pick them up again
    /// after a restart: the same attempt with the same idempotency key.
    func resumption(now: Date) -> Plan {
        var plan = Plan()
        guard !status.isFinal else { return plan }
        for (id, state) in steps.sorted(by: { $0.key < $1.key }) {
            guard let step = stepDefinition(id) else { continue }
            switch state.status {
            case .dispatched:
                guard let input = state.input else { continue }
                plan.changes.append(.step(StepTransition(run: self.id, step: id, from: .dispatched, to: .dispatched,
                                                         detail: "re-dispatched attempt \(state.attempt) after a restart")))
                if !step.resources.isEmpty { plan.effects.append(.hold(run: self.id, step: id, resources: step.resources)) }
                var resent = order(step, attempt: state.attempt, key: AttemptRecord.idempotencyKey(run: self.id, step: id, attempt: state.attempt),
                                   input: input, state: state, now: now)
                resent.preferredInstance = state.instance
                plan.effects.append(.dispatch(resent))
            case .ready:
                guard status != .paused else { continue }  // asks again when resumed
                plan.effects.append(.acquire(run: self.id, step: id, resources: step.resources))
            case .retrying:
                guard status != .paused else { continue }
                let due = (state.lastFinishedAt ?? now).addingTimeInterval(step.retry.delay(after: state.attempt).seconds)
                plan.effects.append(.retry(run: self.id, step: id, after: .seconds(max(0, due.timeIntervalSince(now)))))
            case .waiting:
                guard let timeout = step.waitFor?.timeout else { continue }
                let due = (state.attemptStartedAt ?? now).addingTimeInterval(timeout.seconds)
                plan.effects.append(.signalTimeout(run: self.id, step: id, after: .seconds(max(0, due.timeIntervalSince(now)))))
            default:
                continue
            }
        }
        return plan
    }

    // MARK: Failing

    private mutating func advanceFailing(now: Date) -> Plan {
        var plan = cancelOpenSteps(reason: "run failing: \(failure!.error)", includingHandlers: false, now: now)
        var chain: [StepID] = []
        if let compensation = failure?.compensation { chain.append(compensation) }
        if let handler = definition.onError { chain.append(handler) }
        for handler in chain {
            guard let state = steps[handler] else {
                guard let step = index.step(handler) else { continue }
                steps[handler] = StepState(status: .pending)
                plan.changes.append(.step(StepTransition(run: id, step: handler, from: nil, to: .pending, detail: "failure handler invoked")))
                plan.append(start(step, from: .pending, now: now))
                if steps[handler]?.status.isFinal != true { return plan }
                continue
            }
            if !state.status.isFinal { return plan }
        }
        plan.append(finish(.failed, error: failure!.error))
        return plan
    }

    /// Cancels every step not yet final (and invoked handlers too when `includingHandlers`).
    /// Cancels every step not done yet; an attempt in flight is closed as cancelled too, so
    /// `workflow show` never lists one as still dispatched in a run that ended.
    private mutating func cancelOpenSteps(reason: String, includingHandlers: Bool, now: Date) -> Plan {
        var plan = Plan()
        let fannedOut = fanOuts.keys.sorted().flatMap { fanOuts[$0]!.instances }.compactMap(stepDefinition)
        for step in fannedOut + definition.steps + (includingHandlers ? definition.handlers : []) {
            guard let state = steps[step.id], !state.status.isFinal else { continue }
            if state.status == .dispatched { plan.effects.append(.abandon(run: id, step: step.id)) }
            if !step.resources.isEmpty { plan.effects.append(.release(run: id, step: step.id)) }
            var closed: AttemptRecord?
            if state.status == .dispatched, var record = attemptRecord(step.id, state, now: now) {
                record.status = .cancelled
                record.errorCode = .cancelled
                record.errorMessage = reason
                record.finishedAt = now
                closed = record
            }
            steps[step.id]?.status = .cancelled
            if counts(step.id) { openSteps -= 1 }
            plan.changes.append(.step(StepTransition(run: id, step: step.id, from: state.status, to: .cancelled, attempt: closed, detail: reason)))
        }
        return plan
    }

    private mutating func finish(_ final: RunStatus, error: StepError?) -> Plan {
        var plan = Plan()
        let output: JSONValue? = final == .completed ? .object(Dictionary(uniqueKeysWithValues: definition.steps.compactMap { step in
            steps[step.id]?.output.map { (step.id.rawValue, $0) }
        })) : nil
        plan.changes.append(.run(RunTransition(run: id, from: status, to: final, output: output, errorCode: error?.code, errorMessage: error?.message)))
        status = final
        plan.effects.append(.finished(run: id, status: final, error: error))
        return plan
    }

    private func fatalFailure(of step: StepDefinition, error: StepError?) -> RunFailure? {
        guard !isHandler(step.id), instances[step.id] == nil else { return nil }
        let error = StepError(code: error?.code ?? ErrorCode("failed"), message: "step '\(step.id)' failed: \(error?.message ?? "unknown error")")
        switch step.onFailure {
        case .continue: return nil
        case .fail: return RunFailure(step: step.id, error: error, compensation: nil)
        case .compensate(let handler): return RunFailure(step: step.id, error: error, compensation: handler)
        }
    }

    /// Sets a step's state; `closing` counts a step (not a handler) as done.
    mutating func setState(_ state: StepState, of id: StepID, closing: Bool) {
        steps[id] = state
        if closing, counts(id) { openSteps -= 1 }
    }

    /// `step` failed for good with `error`: the run starts failing if the step's policy says so.
    mutating func markFailing(_ step: StepDefinition, error: StepError) {
        if failure == nil, let fatal = fatalFailure(of: step, error: error) { failure = fatal }
    }

    private func isHandler(_ id: StepID) -> Bool {
        index.handlers.contains(id)
    }

    /// Whether the step counts toward the run's open steps (not a handler, not an instance).
    private func counts(_ id: StepID) -> Bool {
        !index.handlers.contains(id) && instances[id] == nil
    }

    /// A step of the workflow, a handler, or an instance of a fanned-out step.
    func stepDefinition(_ id: StepID) -> StepDefinition? {
        index.step(id) ?? instances[id].flatMap { instance in
            index.step(instance.parent).map { parent in
                var step = parent
                step.id = id
                step.forEach = nil
                step.dependsOn = []
                step.condition = nil
                return step
            }
        }
    }

    // MARK: Dispatching

    /// Sends the step's next attempt, or, when it needs named resources, makes it ready to
    /// wait for them.
    mutating func start(_ step: StepDefinition, from: StepStatus, now: Date) -> Plan {
        if let wait = step.waitFor { return startWaiting(step, for: wait, from: from, now: now) }
        if let fanOut = step.forEach { return startFanOut(step, fanOut, now: now) }
        let attempt = (steps[step.id]?.attempt ?? 0) + 1
        guard !step.resources.isEmpty else { return dispatch(step, attempt: attempt, from: from, now: now) }
        steps[step.id, default: StepState(status: from)].status = .ready
        return Plan(
            changes: [.step(StepTransition(run: id, step: step.id, from: from, to: .ready,
                                           detail: "waiting for \(step.resources.joined(separator: ", "))"))],
            effects: [.acquire(run: id, step: step.id, resources: step.resources)]
        )
    }

    private mutating func dispatch(_ step: StepDefinition, attempt: Int, from: StepStatus, now: Date) -> Plan {
        var state = steps[step.id] ?? StepState(status: from)
        let element = instances[step.id].flatMap { fanOuts[$0.parent]?.elements[$0.index] }
        var missing: [String] = []
        let input = step.params.rendered { reference in
            if case .item(let path) = reference { return element.map { path.isEmpty ? $0 : $0.value(at: path) } ?? nil }
            let value = resolve(reference)
            if value == nil, let problem = missingPath(reference) { missing.append(problem) }
            return value
        }
        if !missing.isEmpty {
            // A typo in a path would otherwise reach the agent as null: fail the step, naming it.
            // Recorded as an attempt that was never sent, with the input as it would have gone.
            let error = StepError(code: .missingValue, message: missing.joined(separator: "; "))
            var failed = state
            failed.status = .failed
            failed.error = error
            failed.attempt = attempt
            setState(failed, of: step.id, closing: true)
            markFailing(step, error: error)
            var record = AttemptRecord(runID: id, stepID: step.id, attempt: attempt, input: input, startedAt: now)
            record.status = .failed
            record.errorCode = error.code
            record.errorMessage = error.message
            record.finishedAt = now
            return Plan(changes: [.step(StepTransition(run: id, step: step.id, from: from, to: .failed, attempt: record, detail: error.message))])
        }
        state.status = .dispatched
        state.attempt = attempt
        state.input = input
        if state.firstStartedAt == nil { state.firstStartedAt = now }
        state.attemptStartedAt = now
        steps[step.id] = state
        let record = AttemptRecord(runID: id, stepID: step.id, attempt: attempt, input: input, startedAt: now)
        var plan = Plan()
        plan.changes.append(.step(StepTransition(run: id, step: step.id, from: from, to: .dispatched, attempt: record)))
        plan.effects.append(.dispatch(order(step, attempt: attempt, key: record.idempotencyKey, input: input, state: state, now: now)))
        return plan
    }

    private func order(_ step: StepDefinition, attempt: Int, key: String, input: JSONValue, state: StepState, now: Date) -> DispatchOrder {
        var timeout = step.timeout ?? defaultAttemptTimeout
        if let overall = step.overallTimeout, let first = state.firstStartedAt {
            timeout = min(timeout, .seconds(max(0.001, first.addingTimeInterval(overall.seconds).timeIntervalSince(now))))
        }
        if let deadline {
            timeout = min(timeout, .seconds(max(0.001, deadline.timeIntervalSince(now))))
        }
        return DispatchOrder(run: id, step: step.id, capability: step.capability, attempt: attempt,
                             idempotencyKey: key,
                             input: input, timeout: timeout, coordination: step.coordination, childWorkflow: step.childWorkflow,
                             agent: step.agent)
    }

    private mutating func skip(_ step: StepID, reason: String) -> Plan {
        steps[step]?.status = .skipped
        openSteps -= 1
        return Plan(changes: [.step(StepTransition(run: id, step: step, from: .pending, to: .skipped, detail: reason))])
    }

    private func attemptRecord(_ step: StepID, _ state: StepState, now: Date) -> AttemptRecord? {
        guard let input = state.input else { return nil }
        return AttemptRecord(runID: id, stepID: step, attempt: state.attempt, input: input, startedAt: state.attemptStartedAt ?? now)
    }

    // MARK: Retries and timeouts

    private enum RetryDecision {
        case retry(Duration)
        /// The step has failed for good, with this error.
        case stop(StepError)
    }

    /// Whether a failed attempt is retried, and after what delay: the policy's attempts,
    /// its non-retryable codes, and the step's and the run's deadlines decide.
    private func retryDecision(_ step: StepDefinition, state: StepState, error: StepError, now: Date, jitter: Double) -> RetryDecision {
        let policy = step.retry
        let attempts = state.attempt
        let withCount = attempts > 1 ? StepError(code: error.code, message: "\(error.message) (after \(attempts) attempts)") : error
        if attempts >= policy.maxAttempts || policy.nonRetryableErrorCodes.contains(error.code.rawValue)
            || Self.neverRetried.contains(error.code) || (failure != nil && !isHandler(step.id)) {
            return .stop(withCount)
        }
        var delay = policy.delay(after: attempts)
        if policy.jitter > 0 {
            delay = delay.scaled(by: 1 + policy.jitter * min(1, max(-1, jitter)))
        }
        let next = now.addingTimeInterval(delay.seconds)
        if let overall = step.overallTimeout, let first = state.firstStartedAt, next >= first.addingTimeInterval(overall.seconds) {
            return .stop(StepError(code: .timeout, message: "step timeout of \(overall.readable) reached after \(attempts) attempt(s); last error \(error)"))
        }
        if let deadline, next >= deadline {
            return .stop(StepError(code: .runTimeout, message: "no time left in the run for attempt \(attempts + 1); last error \(error)"))
        }
        return .retry(delay)
    }

    /// Codes that retrying cannot fix.
    static let neverRetried: Set<ErrorCode> = [.workflowFailed, .cancelled, .badRequest]

    // MARK: References

    /// Why `reference` has no value when that is a mistake rather than a value not there yet:
    /// a path into the output of a step that succeeded, which that output does not have.
    func missingPath(_ reference: Reference) -> String? {
        guard case .stepOutput(let step, let path) = reference, !path.isEmpty,
              let upstream = steps[step], upstream.status == .succeeded, let output = upstream.output else { return nil }
        var known = ""
        if case .object(let fields) = output.value(at: Array(path.dropLast())) ?? .null {
            known = fields.isEmpty ? " (it has no fields)" : " (it has: \(fields.keys.sorted().joined(separator: ", ")))"
        }
        return "${\(reference)}: the output of step '\(step)' has no '\(path.joined(separator: "."))'\(known)"
    }

    /// The value of a `${…}` reference in this run.
    func resolve(_ reference: Reference) -> JSONValue? {
        switch reference {
        case .input(let path): return input.value(at: path)
        case .context(let path): return JSONValue.object(definition.context).value(at: path)
        case .stepOutput(let step, let path): return steps[step]?.output?.value(at: path)
        case .stepStatus(let step): return steps[step].map { .string($0.status.rawValue) }
        case .stepError(let step, let field):
            guard let error = steps[step]?.error else { return nil }
            return .string(field == "code" ? error.code.rawValue : error.message)
        case .failure(let path): return failure?.value.value(at: path)
        case .event, .item: return nil  // triggers; a fanned-out instance's params (RunState+ForEach)
        }
    }
}

/// A definition's steps by id and its dependency edges the other way round.
struct StepIndex: Sendable {
    private let byID: [StepID: StepDefinition]
    /// For each step, the steps that depend on it, in declaration order.
    let dependents: [StepID: [StepID]]
    let handlers: Set<StepID>

    init(_ definition: WorkflowDefinition) {
        var byID: [StepID: StepDefinition] = [:]
        var dependents: [StepID: [StepID]] = [:]
        for step in definition.steps + definition.handlers {
            byID[step.id] = step
            for upstream in step.dependsOn { dependents[upstream, default: []].append(step.id) }
        }
        self.byID = byID
        self.dependents = dependents
        self.handlers = Set(definition.handlers.map(\.id))
    }

    func step(_ id: StepID) -> StepDefinition? { byID[id] }
}
