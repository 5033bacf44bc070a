import ColonyCore
import ColonyStore
import Foundation

/// Everything the engine holds for one run, queued or admitted: forgetting the run drops it all
/// at once, so nothing is left behind for a run that ended. A class: the engine reads a field of
/// it at every step, and a read through the runs table must not copy the whole run.
final class ActiveRun {
    var state: RunState
    /// Whether the run left the queue (it counts against the limits until it ends).
    var admitted = false
    /// Why a queued run still waits.
    var queueReason: String?
    /// When the run last made durable progress (reconciliation looks for stalls).
    var lastProgress: Date
    /// The engine's change generation at the run's last durable change.
    var changedAt: UInt64 = 0
    /// Callers of `waitForChange` waiting on this run.
    var watchers: Set<UUID> = []
    /// Retry timers and the run's deadline.
    var timers: [Task<Void, Never>] = []
    /// Attempts in flight, by step.
    var inFlight: [StepID: Task<Void, Never>] = [:]
    /// The child run each child step in flight waits for, by step.
    var children: [StepID: RunID] = [:]

    init(_ state: RunState, at now: Date) {
        self.state = state
        self.lastProgress = now
    }
}
