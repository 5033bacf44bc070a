import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// Pausing a run: nothing new is dispatched (no step starts, retry timers and resource grants
/// hold), attempts in flight finish and are recorded, signals are still taken. Timeouts keep
/// counting. A run that fails while paused leaves the pause to run its handlers and end.
extension RunState {
    /// Pauses a running run that is not failing; nil when it cannot be paused.
    mutating func pause(reason: String, now: Date) -> Plan? {
        guard status == .running, failure == nil else { return nil }
        status = .paused
        pausedSince = now
        pauseReason = reason
        return Plan(changes: [.run(RunTransition(run: id, from: .running, to: .paused, detail: reason))])
    }

    /// Resumes a paused run: retries whose delay passed go out, steps waiting for resources ask
    /// again, and every step whose dependencies are done starts. Nil when it is not paused.
    mutating func unpause(reason: String, now: Date) -> Plan? {
        guard status == .paused else { return nil }
        var plan = liftPause(detail: reason)
        for (id, state) in steps.sorted(by: { $0.key < $1.key }) {
            guard let step = stepDefinition(id) else { continue }
            switch state.status {
            case .retrying:
                let due = (state.lastFinishedAt ?? now).addingTimeInterval(step.retry.delay(after: state.attempt).seconds)
                plan.effects.append(.retry(run: self.id, step: id, after: .seconds(max(0, due.timeIntervalSince(now)))))
            case .ready:
                plan.effects.append(.acquire(run: self.id, step: id, resources: step.resources))
            default:
                continue
            }
        }
        plan.append(advance(now: now))
        return plan
    }

    /// Leaves the pause (resumed, or failing).
    mutating func liftPause(detail: String) -> Plan {
        guard status == .paused else { return Plan() }
        status = .running
        pausedSince = nil
        pauseReason = nil
        return Plan(changes: [.run(RunTransition(run: id, from: .paused, to: .running, detail: detail))])
    }
}
