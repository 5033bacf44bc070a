import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

/// A request the engine sends for one attempt of one step.
public struct DispatchOrder: Sendable, Hashable {
    public var run: RunID
    public var step: StepID
    public var capability: String
    public var attempt: Int
    public var idempotencyKey: String
    public var input: JSONValue
    /// This attempt's time limit (already capped by the step's and the run's deadlines).
    public var timeout: Duration
    /// How a group serves the step, if it is coordinated.
    public var coordination: StepCoordination? = nil
    /// The child workflow the step runs, if any.
    public var childWorkflow: String? = nil
    /// A re-sent attempt: the instance that got it before, which should get it again.
    public var preferredInstance: InstanceID? = nil
    /// Only agents of this name may serve it (the step's `agent:`).
    public var agent: String? = nil
}

/// What an attempt came to.
public enum StepResult: Sendable, Hashable {
    case succeeded(output: JSONValue, agent: String?)
    case failed(StepError, agent: String?)

    var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }
}

/// Something the engine does once the changes decided with it are durable.
enum Effect: Sendable, Hashable {
    /// Send an attempt.
    case dispatch(DispatchOrder)
    /// Stop waiting for an attempt (the run was cancelled or failed).
    case abandon(run: RunID, step: StepID)
    /// Dispatch the step's next attempt after `delay`.
    case retry(run: RunID, step: StepID, after: Duration)
    /// Fail the step with `timeout` after `delay` unless its signal came.
    case signalTimeout(run: RunID, step: StepID, after: Duration)
    /// The run reached a final status: tell the bus (failure gate) and stop its timers.
    case finished(run: RunID, status: RunStatus, error: StepError?)
    /// The step is ready and waits for its named resources; the engine grants them in order.
    case acquire(run: RunID, step: StepID, resources: [String])
    /// The step (after a restart, still in flight) holds its resources.
    case hold(run: RunID, step: StepID, resources: [String])
    /// The step no longer needs its resources (it ended, will retry, or was cancelled).
    case release(run: RunID, step: StepID)
}

/// Changes to make durable together, and what to do once they are.
struct Plan: Sendable {
    var changes: [StoreChange] = []
    var effects: [Effect] = []

    /// Adds `other`'s changes and effects after these. An empty side takes the other's array
    /// whole: a plan's changes hold attempt records, and copying them one by one retains each
    /// of their strings (the engine's pending plan is empty at most commits).
    mutating func append(_ other: consuming Plan) {
        if changes.isEmpty { changes = other.changes } else { changes += other.changes }
        if effects.isEmpty { effects = other.effects } else { effects += other.effects }
    }
}
