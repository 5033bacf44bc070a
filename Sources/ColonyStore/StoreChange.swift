import ColonyCore
import ColonyWorkflow
import Foundation

/// One state change of a run or a step. The engine hands the store a batch of them at once:
/// a batch is one transaction, so what the engine decided together lands together.
public enum StoreChange: Sendable, Hashable {
    case run(RunTransition)
    case step(StepTransition)
    /// The broker gave an attempt to an agent instance (recorded on the attempt, no transition).
    case attemptDispatched(run: RunID, step: StepID, attempt: Int, instance: InstanceID)
    /// A signal sent to a run: stored, or (same id again) marked as taken by a step.
    case signal(SignalRecord)
}

/// A run moves from one status to another, with its output or error when it ends.
public struct RunTransition: Sendable, Hashable {
    public var run: RunID
    public var from: RunStatus
    public var to: RunStatus
    public var output: JSONValue?
    public var errorCode: ErrorCode?
    public var errorMessage: String?
    public var detail: String?

    public init(
        run: RunID, from: RunStatus, to: RunStatus, output: JSONValue? = nil,
        errorCode: ErrorCode? = nil, errorMessage: String? = nil, detail: String? = nil
    ) {
        self.run = run
        self.from = from
        self.to = to
        self.output = output
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.detail = detail
    }
}

/// A step moves from one status to another; `attempt` records a dispatch or its outcome.
/// `from == nil` adds the step to the run (failure handlers join a run only when invoked).
public struct StepTransition: Sendable, Hashable {
    public var run: RunID
    public var step: StepID
    public var from: StepStatus?
    public var to: StepStatus
    public var attempt: AttemptRecord?
    public var detail: String?

    public init(run: RunID, step: StepID, from: StepStatus?, to: StepStatus, attempt: AttemptRecord? = nil, detail: String? = nil) {
        self.run = run
        self.step = step
        self.from = from
        self.to = to
        self.attempt = attempt
        self.detail = detail
    }
}

extension Array where Element == StoreChange {
    /// The same changes, with each dispatch record whose attempt this batch also saves folded
    /// into that save (its `instance`): one statement less per step of a chain, where the
    /// broker's notice for a step is written with the batch that records the step's result.
    func foldingDispatchRecords() -> [StoreChange] {
        guard contains(where: { if case .attemptDispatched = $0 { true } else { false } }) else { return self }
        var saved: [AttemptKey: Int] = [:]
        for (position, change) in enumerated() {
            if case .step(let transition) = change, let attempt = transition.attempt {
                saved[AttemptKey(run: attempt.runID, step: attempt.stepID, attempt: attempt.attempt)] = position
            }
        }
        var folded = self
        var dropped = IndexSet()
        for (position, change) in enumerated() {
            guard case .attemptDispatched(let run, let step, let attempt, let instance) = change,
                  let target = saved[AttemptKey(run: run, step: step, attempt: attempt)], target < position,
                  case .step(var transition) = folded[target] else { continue }
            transition.attempt?.instance = instance
            folded[target] = .step(transition)
            dropped.insert(position)
        }
        return folded.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }
}

private struct AttemptKey: Hashable {
    let run: RunID
    let step: StepID
    let attempt: Int
}
