import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

/// A batch's dispatch records are folded into the saves of their attempts that come before
/// them in it, and only into those: whatever is not folded stays, in its order.
@Suite struct DispatchRecordFoldingTests {
    static let started = Date(timeIntervalSince1970: 1_800_000_000)

    func save(_ run: RunID, _ step: StepID, attempt: Int = 1) -> StoreChange {
        .step(StepTransition(run: run, step: step, from: .pending, to: .dispatched,
                             attempt: AttemptRecord(runID: run, stepID: step, attempt: attempt, input: .null, startedAt: Self.started)))
    }

    func record(_ run: RunID, _ step: StepID, attempt: Int = 1, _ instance: InstanceID) -> StoreChange {
        .attemptDispatched(run: run, step: step, attempt: attempt, instance: instance)
    }

    /// What each change is, in order: a save with the instance it carries, or a record.
    func summary(_ changes: [StoreChange]) -> [String] {
        changes.map { change in
            switch change {
            case .step(let transition):
                let attempt = transition.attempt
                return "save \(transition.run)/\(transition.step)/\(attempt?.attempt ?? 0)@\(attempt?.instance?.rawValue ?? "-")"
            case .attemptDispatched(let run, let step, let attempt, let instance): return "record \(run)/\(step)/\(attempt)@\(instance)"
            case .run(let transition): return "run \(transition.run)"
            case .signal(let signal): return "signal \(signal.id)"
            }
        }
    }

    @Test func aRecordAfterItsAttemptsSaveIsFoldedIntoIt() {
        var changes = [save("r", "a"), .run(RunTransition(run: "r", from: .running, to: .completed)), record("r", "a", "i-1")]
        changes.foldDispatchRecords()
        #expect(summary(changes) == ["save r/a/1@i-1", "run r"])
    }

    @Test func aRecordWithoutAnEarlierSaveOfItsOwnAttemptStaysWhereItIs() {
        var changes = [
            record("r", "a", "i-0"),  // its save comes after it
            save("r", "a"),
            record("r", "a", attempt: 2, "i-2"),  // another attempt
            record("r", "b", "i-3"),  // another step
            record("q", "a", "i-4"),  // another run
            save("r", "c"),
            record("r", "c", "i-5"),  // folded
            record("r", "a", "i-6"),  // folded: the save two places back still takes it
        ]
        changes.foldDispatchRecords()
        #expect(summary(changes) == [
            "record r/a/1@i-0", "save r/a/1@i-6", "record r/a/2@i-2", "record r/b/1@i-3", "record q/a/1@i-4", "save r/c/1@i-5",
        ])
    }

    @Test func aSaveFurtherBackThanTheWindowIsNotSearched() {
        let others = (0..<64).map { save("r", StepID(rawValue: "other-\($0)")) }
        var far = [save("r", "a")] + others + [record("r", "a", "i-1")]
        far.foldDispatchRecords()
        #expect(summary(far).first == "save r/a/1@-" && summary(far).last == "record r/a/1@i-1", "65 changes back: written alone")
        var near = [save("r", "a")] + others.dropLast() + [record("r", "a", "i-1")]
        near.foldDispatchRecords()
        #expect(summary(near).first == "save r/a/1@i-1" && near.count == 64, "64 changes back: folded")
    }

    @Test func aBatchWithoutRecordsIsLeftAsItIs() {
        let batch = [save("r", "a"), save("r", "b")]
        var changes = batch
        changes.foldDispatchRecords()
        #expect(changes == batch)
    }
}
