import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// Steps that wait for a signal (`wait_for`): a signal sent to the run is stored, and a waiting
/// step of its name takes the oldest one not yet taken; one sent before its step is reached is
/// kept for it. Its data is the step's output; the wait's timeout fails the step with `timeout`.
extension RunState {
    /// What became of a signal the run accepted.
    enum SignalOutcome: Sendable, Hashable {
        /// A waiting step took it.
        case delivered(StepID)
        /// Kept until a step waiting for it is reached.
        case kept
    }

    /// Why the run refused a signal.
    enum SignalRefusal: Error, Sendable, Hashable {
        /// No step of the workflow waits for a signal of this name.
        case unknown(name: String, known: [String])
        /// Every step that waits for it is done (or will never run).
        case notAwaited(name: String)
        /// The run keeps `maximumKept` signals no step has taken yet already.
        case tooManyKept
    }

    /// Signals a run keeps for steps not reached yet, at most (each at most
    /// `Engine.maximumSignalBytes` of data): a sender cannot grow a run without bound.
    static let maximumKept = 100

    /// Accepts `signal` (sent to this run) or refuses it.
    mutating func receive(_ signal: SignalRecord, now: Date) -> Result<(Plan, SignalOutcome), SignalRefusal> {
        guard definition.signals.contains(signal.name) else { return .failure(.unknown(name: signal.name, known: definition.signals)) }
        let waiters = (definition.steps + definition.handlers).filter { $0.waitFor?.signal == signal.name }
        if let waiting = waiters.first(where: { steps[$0.id]?.status == .waiting }) {
            var plan = take(signal, step: waiting.id, now: now)
            plan.append(advance(now: now, changed: waiting.id))
            return .success((plan, .delivered(waiting.id)))
        }
        let stillToCome = waiters.contains { step in
            guard let state = steps[step.id] else { return failure != nil || status == .pending }  // a handler not yet invoked
            return !state.status.isFinal
        }
        guard !status.isFinal, stillToCome else { return .failure(.notAwaited(name: signal.name)) }
        guard unclaimedSignals.count < Self.maximumKept else { return .failure(.tooManyKept) }
        unclaimedSignals.append(signal)
        return .success((Plan(changes: [.signal(signal)]), .kept))
    }

    /// A waiting step's timeout passed without its signal: the step fails with `timeout`.
    mutating func signalTimedOut(step id: StepID, now: Date) -> Plan {
        guard !status.isFinal, var state = steps[id], state.status == .waiting, let step = index.step(id), let wait = step.waitFor else {
            return Plan()
        }
        let error = StepError(code: .timeout, message: "no signal '\(wait.signal)' within \(wait.timeout?.readable ?? "its timeout")")
        var record = AttemptRecord(runID: self.id, stepID: id, attempt: state.attempt, input: state.input ?? .null, startedAt: state.attemptStartedAt ?? now)
        record.status = .failed
        record.errorCode = error.code
        record.errorMessage = error.message
        record.finishedAt = now
        state.status = .failed
        state.error = error
        state.lastFinishedAt = now
        setState(state, of: id, closing: true)
        var plan = Plan(changes: [.step(StepTransition(run: self.id, step: id, from: .waiting, to: .failed, attempt: record, detail: "\(error)"))])
        markFailing(step, error: error)
        plan.append(advance(now: now, changed: id))
        return plan
    }

    /// The step starts waiting (one attempt, whose input names the signal); a signal already
    /// sent is taken at once.
    mutating func startWaiting(_ step: StepDefinition, for wait: SignalWait, from: StepStatus, now: Date) -> Plan {
        var state = steps[step.id] ?? StepState(status: from)
        let input = JSONValue.object(["signal": .string(wait.signal)])
        state.status = .waiting
        state.attempt += 1
        state.input = input
        if state.firstStartedAt == nil { state.firstStartedAt = now }
        state.attemptStartedAt = now
        setState(state, of: step.id, closing: false)
        var record = AttemptRecord(runID: id, stepID: step.id, attempt: state.attempt, input: input, startedAt: now)
        record.status = .waiting
        let limit = wait.timeout.map { " (times out after \($0.readable))" } ?? ""
        var plan = Plan(changes: [.step(StepTransition(run: id, step: step.id, from: from, to: .waiting, attempt: record,
                                                       detail: "waits for signal '\(wait.signal)'\(limit)"))])
        if let timeout = wait.timeout { plan.effects.append(.signalTimeout(run: id, step: step.id, after: timeout)) }
        if let sent = unclaimedSignals.firstIndex(where: { $0.name == wait.signal }) {
            plan.append(take(unclaimedSignals.remove(at: sent), step: step.id, now: now))
        }
        return plan
    }

    /// The waiting step takes `signal`: it succeeds with the signal's data as its output.
    /// Does not advance the run (callers do, once).
    private mutating func take(_ signal: SignalRecord, step id: StepID, now: Date) -> Plan {
        guard var state = steps[id], state.status == .waiting else { return Plan() }
        let output = signal.data ?? .null
        var record = AttemptRecord(runID: self.id, stepID: id, attempt: state.attempt, input: state.input ?? .null, startedAt: state.attemptStartedAt ?? now)
        record.status = .succeeded
        record.output = output
        record.agent = "signal"
        record.finishedAt = now
        state.status = .succeeded
        state.output = output
        state.error = nil
        state.lastFinishedAt = now
        setState(state, of: id, closing: true)
        var taken = signal
        taken.stepID = id
        taken.deliveredAt = now
        return Plan(changes: [
            .signal(taken),
            .step(StepTransition(run: self.id, step: id, from: .waiting, to: .succeeded, attempt: record, detail: "signal '\(signal.name)' received")),
        ])
    }
}
