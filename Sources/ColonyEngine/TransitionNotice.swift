import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// A committed change of a run or a step, as the engine tells observers (and, through the
/// orchestrator, the bus: `workflow.started`, `step.dispatched`, `step.succeeded`…). It names
/// the run and its workflow; it carries error codes but no inputs, outputs or messages, which
/// may hold secrets (the API redacts those).
public struct TransitionNotice: Codable, Sendable, Hashable {
    public var run: RunID
    public var workflow: String?
    /// Nil for a run's own transition.
    public var step: StepID?
    public var from: String?
    public var to: String
    public var attempt: Int?
    public var agent: String?
    public var instance: InstanceID?
    public var errorCode: ErrorCode?
    /// When it was committed, milliseconds since the Unix epoch.
    public var atMilliseconds: UInt64
    /// A finished attempt's duration.
    public var durationMilliseconds: Int64?
    /// A run that starts running: how long it waited in the queue.
    public var queuedMilliseconds: Int64?

    public init(_ change: StoreChange, workflow: String?, at date: Date) {
        self.workflow = workflow
        atMilliseconds = UInt64(clamping: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        switch change {
        case .run(let transition):
            run = transition.run
            from = transition.from.rawValue
            to = transition.to.rawValue
            errorCode = transition.errorCode
        case .step(let transition):
            run = transition.run
            step = transition.step
            from = transition.from?.rawValue
            to = transition.to.rawValue
            attempt = transition.attempt?.attempt
            agent = transition.attempt?.agent
            instance = transition.attempt?.instance
            errorCode = transition.attempt?.errorCode
            if let attempt = transition.attempt, let finished = attempt.finishedAt {
                durationMilliseconds = Int64((finished.timeIntervalSince(attempt.startedAt) * 1000).rounded())
            }
        case .attemptDispatched(let run, let step, let attempt, let instance):
            self.run = run
            self.step = step
            to = "dispatched_to"
            self.attempt = attempt
            self.instance = instance
        case .signal(let signal):
            run = signal.runID
            step = signal.stepID
            to = signal.stepID == nil ? "signal_kept" : "signal_taken"
        }
    }
}
