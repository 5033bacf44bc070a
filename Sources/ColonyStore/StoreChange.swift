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

extension StoreChange {
    /// Whether this is an `attemptDispatched` record.
    var isDispatchRecord: Bool {
        if case .attemptDispatched = self { return true }
        return false
    }
}

/// How far back from a dispatch record `foldDispatchRecords` looks for its attempt's save.
private let foldingWindow = 64

extension Array where Element == StoreChange {
    /// Folds each dispatch record whose attempt this batch also saves (earlier in it) into that
    /// save (its `instance`): one statement less for a step whose agent held it past the
    /// broker's notice delay and answered before the record was written alone, the notice then
    /// riding with the batch that records the step's result. A scan back of at most
    /// `foldingWindow` changes from each record (a record left as it is is written by its own
    /// statement), so a batch of many runs costs no more than linear. In place: the changes
    /// kept are moved, not copied (copying an attempt record retains each of its strings).
    public mutating func foldDispatchRecords() {
        // Most batches hold none: a step that ends within the broker's notice delay has none.
        guard contains(where: \.isDispatchRecord) else { return }
        var absorbed = Set<Int>()
        for position in indices {
            guard case .attemptDispatched(let run, let step, let attempt, let instance) = self[position] else { continue }
            for target in stride(from: position - 1, through: Swift.max(0, position - foldingWindow), by: -1) {
                guard case .step(var transition) = self[target], var saved = transition.attempt,
                      saved.attempt == attempt, saved.stepID == step, saved.runID == run else { continue }
                saved.instance = instance
                transition.attempt = saved
                self[target] = .step(transition)
                absorbed.insert(position)
                break
            }
        }
        guard !absorbed.isEmpty else { return }
        var kept = startIndex
        for position in indices where !absorbed.contains(position) {
            if kept != position { swapAt(kept, position) }
            kept += 1
        }
        removeSubrange(kept...)
    }
}
