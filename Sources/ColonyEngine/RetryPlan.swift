import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// Which steps a retry of an ended run keeps: those that succeeded there and are neither a
/// step it retries from nor downstream of one. Everything else runs again. Pure.
struct RetryPlan: Sendable {
    /// The steps the retry starts from (named, or the ones that failed).
    let from: [StepID]
    /// Steps that keep their recorded attempt (the retried run's last, successful one).
    let kept: [AttemptRecord]

    enum Refusal: Error, Sendable, Hashable {
        case unknownStep(StepID, known: [StepID])
        /// Every step succeeded and none was named: there is nothing to run again.
        case nothingToRetry
    }

    /// Plans a retry of `old` as `new` with `definition` (the old run's version or a later one).
    static func make(old: RunSnapshot, new: RunID, definition: WorkflowDefinition, from named: [StepID], now: Date) -> Result<RetryPlan, Refusal> {
        let known = definition.steps.map(\.id)
        if let unknown = named.first(where: { !known.contains($0) }) { return .failure(.unknownStep(unknown, known: known)) }
        let succeeded = Set(old.steps.filter { $0.status == .succeeded }.map(\.stepID))
        let from = named.isEmpty ? known.filter { id in old.steps.contains { $0.stepID == id && $0.status != .succeeded } } : named
        guard !from.isEmpty || known.contains(where: { !succeeded.contains($0) }) else { return .failure(.nothingToRetry) }
        var dependents: [StepID: [StepID]] = [:]
        for step in definition.steps {
            for upstream in step.dependsOn { dependents[upstream, default: []].append(step.id) }
        }
        var rerun = Set(from), worklist = from
        while let next = worklist.popLast() {
            for dependent in dependents[next] ?? [] where rerun.insert(dependent).inserted { worklist.append(dependent) }
        }
        let lastAttempts = Dictionary(old.attempts.filter { $0.status == .succeeded }.map { ($0.stepID, $0) }, uniquingKeysWith: { first, second in
            first.attempt >= second.attempt ? first : second
        })
        let kept = known.filter { succeeded.contains($0) && !rerun.contains($0) }.map { step in
            var attempt = AttemptRecord(runID: new, stepID: step, attempt: 1, input: lastAttempts[step]?.input ?? .null, startedAt: now)
            attempt.status = .succeeded
            attempt.output = old.steps.first { $0.stepID == step }?.output
            attempt.agent = "kept from \(old.run.id)"
            attempt.finishedAt = now
            return attempt
        }
        return .success(RetryPlan(from: from, kept: kept))
    }
}
