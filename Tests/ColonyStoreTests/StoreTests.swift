import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

/// The store conformance suite: every test runs against each store (`StoreKind.available`), so
/// SQLite and PostgreSQL cannot drift apart.
@Suite struct StoreTests {
    func definition(_ text: String = "name: demo\nsteps:\n  - id: one\n    capability: echo\n  - id: two\n    capability: math.add\n    depends_on: [one]\n    condition: steps.one.status == 'succeeded'\n    params: {a: \"${steps.one.output.x}\", b: 2}\n    retry: {max_attempts: 3, initial_interval: 250ms}\n") -> WorkflowDefinition {
        var parser = WorkflowParser()
        return parser.parse(text, file: "demo.yaml")[0]
    }

    @Test(arguments: StoreKind.available) func triggerFiringsKeepOnlyTheNewestPerWorkflow(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let kept = SQLiteWorkflowStore.keptPerWorkflow
        for index in 0..<(kept + 5) {
            try await store.recordFiring(FiringRecord(workflow: "busy", topic: "t", outcome: .filtered, reason: "\(index)", at: Date()))
        }
        try await store.recordFiring(FiringRecord(workflow: "quiet", topic: "t", outcome: .started, at: Date()))
        let busy = try await store.firings(workflow: "busy", limit: 10_000)
        #expect(busy.count == kept && busy.first?.reason == "\(kept + 4)" && busy.last?.reason == "5", "the oldest five were pruned")
        #expect(try await store.firings(workflow: "quiet", limit: 10).count == 1, "another workflow's firings are its own")
        let summaries = try await store.firingSummaries()
        #expect(summaries.first { $0.workflow == "busy" }?.counts["filtered"] == kept)
    }

    @Test(arguments: StoreKind.available) func definitionsAreVersionedByContentAndReadBackWhole(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let first = definition()
        let stored = try await store.register(first)
        let id = stored.id
        #expect(stored.number == 1, "numbered per workflow, from 1")
        #expect(try await store.register(first) == stored, "the same content is the same version")
        var other = first
        other.name = "other"
        #expect(try await store.register(other).number == 1, "another workflow counts its own versions")
        var changed = first
        changed.steps[0].capability = "echo.stream"
        let second = try await store.register(changed)
        #expect(second.id != id && second.number == 2, "a changed definition is the workflow's next version")
        #expect(try await store.versions(of: first.name, limit: 10).map(\.version) == [2, 1])
        let restored = try await store.definition(id: id)
        #expect(restored.storedVersion == 1)
        #expect(restored.fingerprint == first.fingerprint)
        #expect(restored.steps.map(\.id) == ["one", "two"])
        #expect(restored.step("two")?.retry.initialInterval == .milliseconds(250))
        #expect(restored.step("two")?.conditionText == "steps.one.status == 'succeeded'")
    }

    /// A batch logs its transitions in the order it holds them (SQLite writes them several rows to
    /// a statement: 20 rows cross its chunks of 8).
    /// Rows of two runs, interleaved in one batch (several statements' worth): each run's log
    /// comes back in the order it was written, numbered in increasing order.
    @Test(arguments: StoreKind.available) func aBatchLogsItsTransitionsInOrder(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        let steps = (0..<20).map { StepID("s\($0)") }
        let runs: [RunID] = ["run-1", "run-2"]
        for run in runs {
            try await store.createRun(RunRecord(id: run, workflow: "demo", definitionID: definitionID, input: .null), steps: steps)
        }
        try await store.apply(runs.map { .run(RunTransition(run: $0, from: .pending, to: .running)) } + steps.flatMap { step in
            runs.map { run in
                .step(StepTransition(run: run, step: step, from: .pending, to: .dispatched,
                                     attempt: AttemptRecord(runID: run, stepID: step, attempt: 1, input: .null), detail: "go \(run) \(step)"))
            }
        }, at: Date())
        for run in runs {
            let logged = try await store.snapshot(run: run).transitions
            #expect(logged.map(\.to) == ["pending", "running"] + Array(repeating: "dispatched", count: 20))
            #expect(logged.compactMap(\.stepID) == steps)
            #expect(logged.dropFirst().compactMap(\.detail) == steps.map { "go \(run) \($0)" })
            let sequences = logged.compactMap(\.sequence)
            #expect(sequences.count == 22 && sequences == sequences.sorted() && Set(sequences).count == 22, "\(run): \(sequences)")
        }
    }

    /// The broker's dispatch notice is stored whether it comes alone or in the batch that also
    /// records the attempt's result (where either store folds it into that attempt's row).
    @Test(arguments: StoreKind.available) func dispatchRecordsLandAloneOrWithTheAttemptsResult(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        try await store.createRun(RunRecord(id: "run-1", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one", "two"])
        try await store.transitionRun("run-1", from: .pending, to: .running, output: nil, error: nil, detail: nil)
        var one = AttemptRecord(runID: "run-1", stepID: "one", attempt: 1, input: .object([:]))
        let two = AttemptRecord(runID: "run-1", stepID: "two", attempt: 1, input: .object([:]))
        try await store.apply([
            .step(StepTransition(run: "run-1", step: "one", from: .pending, to: .dispatched, attempt: one)),
            .step(StepTransition(run: "run-1", step: "two", from: .pending, to: .dispatched, attempt: two)),
        ], at: Date())
        one.status = .succeeded
        one.output = .object(["n": .number(1)])
        one.finishedAt = Date()
        try await store.apply([
            .step(StepTransition(run: "run-1", step: "one", from: .dispatched, to: .succeeded, attempt: one)),
            .attemptDispatched(run: "run-1", step: "one", attempt: 1, instance: "i-1"),
            .attemptDispatched(run: "run-1", step: "two", attempt: 1, instance: "i-2"),
        ], at: Date())
        let attempts = try await store.snapshot(run: "run-1").attempts
        #expect(attempts.map { "\($0.stepID)=\($0.instance?.rawValue ?? "-")" }.sorted() == ["one=i-1", "two=i-2"])
        #expect(attempts.first { $0.stepID == "one" }?.output == .object(["n": .number(1)]))
    }

    /// A snapshot gives back every field of a run's steps, attempts and transitions as they were
    /// stored: NULLs, text beyond ASCII, JSON in and out, errors, instances, times to the millisecond.
    @Test(arguments: StoreKind.available) func aSnapshotReadsBackEveryFieldAsStored(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        let run: RunID = "run-é"
        try await store.createRun(RunRecord(id: run, workflow: "demo", definitionID: definitionID, input: .null), steps: ["one", "two"])
        try await store.transitionRun(run, from: .pending, to: .running, output: nil, error: nil, detail: nil)
        let started = Date(timeIntervalSince1970: 1_800_000_000.25), finished = Date(timeIntervalSince1970: 1_800_000_001.5)
        let input: JSONValue = .object(["text": .string("grüße ✓"), "list": .array([.number(1.5), .bool(true), .null])])
        var attempt = AttemptRecord(runID: run, stepID: "one", attempt: 1, input: input, startedAt: started)
        attempt.agent = "agent-ü"
        try await store.transitionStep(run: run, step: "one", from: .pending, to: .dispatched, attempt: attempt, detail: "sent")
        try await store.apply([.attemptDispatched(run: run, step: "one", attempt: 1, instance: "instance-1")], at: Date())
        attempt.status = .failed
        attempt.errorCode = "timeout"
        attempt.errorMessage = "no answer — in time"
        attempt.finishedAt = finished
        try await store.transitionStep(run: run, step: "one", from: .dispatched, to: .failed, attempt: attempt, detail: nil)

        let snapshot = try await store.snapshot(run: run)
        let milliseconds = { (date: Date?) in date.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } }
        let one = try #require(snapshot.steps.first { $0.stepID == "one" })
        #expect(one.runID == run && one.status == .failed && one.attempts == 1 && one.output == nil)
        #expect(one.errorCode == "timeout" && one.errorMessage == "no answer — in time")
        let two = try #require(snapshot.steps.first { $0.stepID == "two" })
        #expect(two.status == .pending && two.attempts == 0 && two.output == nil && two.errorCode == nil && two.errorMessage == nil)
        let stored = try #require(snapshot.attempts.first)
        #expect(snapshot.attempts.count == 1)
        #expect(stored.runID == run && stored.stepID == "one" && stored.attempt == 1 && stored.idempotencyKey == "run-é/one/1")
        #expect(stored.agent == "agent-ü" && stored.instance == "instance-1" && stored.input == input && stored.output == nil)
        #expect(stored.status == .failed && stored.errorCode == "timeout" && stored.errorMessage == "no answer — in time")
        #expect(milliseconds(stored.startedAt) == 1_800_000_000_250 && milliseconds(stored.finishedAt) == 1_800_000_001_500)
        #expect(snapshot.transitions.map { [$0.stepID?.rawValue, $0.from, $0.to, $0.detail] } == [
            [nil, nil, "pending", "created"], [nil, "pending", "running", nil],
            ["one", "pending", "dispatched", "sent"], ["one", "dispatched", "failed", nil],
        ])
        #expect(snapshot.transitions.allSatisfy { $0.runID == run && $0.sequence != nil })
    }

    @Test(arguments: StoreKind.available) func everyTransitionIsLoggedAndStaleOnesAreRefused(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        try await store.createRun(RunRecord(id: "run-1", workflow: "demo", definitionID: definitionID, input: .object(["a": .number(1)])), steps: ["one", "two"])
        try await store.transitionRun("run-1", from: .pending, to: .running, output: nil, error: nil, detail: nil)
        var attempt = AttemptRecord(runID: "run-1", stepID: "one", attempt: 1, input: .object([:]))
        try await store.transitionStep(run: "run-1", step: "one", from: .pending, to: .dispatched, attempt: attempt, detail: nil)
        attempt.status = .succeeded
        attempt.output = .object(["x": .number(40)])
        attempt.finishedAt = Date()
        try await store.transitionStep(run: "run-1", step: "one", from: .dispatched, to: .succeeded, attempt: attempt, detail: nil)
        await #expect(throws: StoreError.staleTransition(run: "run-1", step: "one", expected: "dispatched", actual: "succeeded")) {
            try await store.transitionStep(run: "run-1", step: "one", from: .dispatched, to: .succeeded, attempt: nil, detail: "a racing completion")
        }
        try await store.transitionRun("run-1", from: .running, to: .failed, output: nil, error: ("division_by_zero", "cannot divide"), detail: nil)

        let snapshot = try await store.snapshot(run: "run-1")
        #expect(snapshot.run.status == .failed && snapshot.run.errorCode == "division_by_zero")
        #expect(snapshot.run.startedAt != nil && snapshot.run.finishedAt != nil)
        #expect(snapshot.steps.first { $0.stepID == "one" }?.output == .object(["x": .number(40)]))
        #expect(snapshot.attempts.map(\.idempotencyKey) == ["run-1/one/1"])
        #expect(snapshot.transitions.map(\.to) == ["pending", "running", "dispatched", "succeeded", "failed"])
        #expect(try await store.unfinishedRuns().isEmpty)
    }

    @Test(arguments: StoreKind.available) func aScheduleTickStartsAtMostOneRun(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        let tick = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.createRun(RunRecord(id: "a", workflow: "demo", definitionID: definitionID, input: .null, scheduleID: "every-5m", scheduledAt: tick), steps: [])
        await #expect(throws: StoreError.duplicateScheduledRun(schedule: "every-5m", at: tick)) {
            try await store.createRun(RunRecord(id: "b", workflow: "demo", definitionID: definitionID, input: .null, scheduleID: "every-5m", scheduledAt: tick), steps: [])
        }
    }

    @Test(arguments: StoreKind.available) func stateSurvivesReopeningTheStore(_ kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        do {
            let definitionID = try await store.register(definition()).id
            try await store.createRun(RunRecord(id: "survivor", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one", "two"])
            try await store.transitionRun("survivor", from: .pending, to: .running, output: nil, error: nil, detail: nil)
        }
        let reopened = try await reopen()
        let unfinished = try await reopened.unfinishedRuns()
        #expect(unfinished.map(\.run.id) == ["survivor"])
        #expect(unfinished.first?.steps.map(\.status) == [.pending, .pending])
    }

    @Test(arguments: StoreKind.available) func historyAndStatistics(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        for index in 0..<6 {
            let id = RunID("r\(index)")
            try await store.createRun(RunRecord(id: id, workflow: "demo", definitionID: definitionID, input: .null), steps: [])
            try await store.transitionRun(id, from: .pending, to: .running, output: nil, error: nil, detail: nil)
            if index < 4 {
                try await store.transitionRun(id, from: .running, to: .completed, output: .null, error: nil, detail: nil)
            } else {
                try await store.transitionRun(id, from: .running, to: .failed, output: nil, error: ("timeout", "slow"), detail: nil)
            }
        }
        #expect(try await store.history(HistoryQuery(workflow: "demo", status: .failed)).map(\.id).sorted() == ["r4", "r5"])
        #expect(try await store.history(HistoryQuery(limit: 2)).count == 2)
        let statistics = try await store.statistics(workflow: "demo")
        #expect(statistics.runs == 6 && statistics.completed == 4 && statistics.failed == 2)
        #expect(statistics.successRate.map { abs($0 - 4.0 / 6.0) < 1e-9 } == true)
        #expect(statistics.p50DurationSeconds != nil)
        #expect(statistics.topFailures == [.init(code: "timeout", count: 2)])
    }
    /// Two orchestrators on one database storing new contents of one workflow at the same time
    /// still number them 1, 2, 3… without a gap or a repeat (the unique (name, version) index
    /// and a retry on PostgreSQL; the write lock on SQLite).
    @Test(arguments: StoreKind.available) func versionsStoredAtOnceFromTwoStoresAreNumberedOnce(_ kind: StoreKind) async throws {
        let (a, reopen) = try await kind.make()
        let b = try await reopen()
        let contents = (0..<12).map { index in
            var changed = definition()
            changed.steps[0].capability = "echo.\(index)"
            return changed
        }
        let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, content) in contents.enumerated() {
                let store = index.isMultiple(of: 2) ? a : b
                group.addTask { try await store.register(content).number }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(numbers.sorted() == Array(1...12), "\(numbers)")
    }

    @Test(arguments: StoreKind.available) func theLeaseChangesHandsByTermAndFencesTheOldHoldersWrites(_ kind: StoreKind) async throws {
        let (a, reopen) = try await kind.make()
        let b = try await reopen()
        let name = "orchestrator"
        #expect(try await a.acquireLease(name, holder: "a", duration: .seconds(30), now: Date()) == 1)
        #expect(try await a.acquireLease(name, holder: "a", duration: .seconds(30), now: Date()) == 1, "a renewal keeps the term")
        #expect(try await b.acquireLease(name, holder: "b", duration: .seconds(30), now: Date()) == nil, "held by a")
        let fence = LeaseFence(lease: name, holder: "a", term: 1)
        a.fence(fence)
        let definitionID = try await a.register(definition()).id
        try await a.releaseLease(name, holder: "a")
        #expect(try await b.acquireLease(name, holder: "b", duration: .seconds(30), now: Date()) == 2)
        await #expect(throws: StoreError.superseded(lease: name, term: 1, by: "b (term 2)")) {
            try await a.createRun(RunRecord(id: "late", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one"])
        }
        #expect(fence.isTripped)
        b.fence(LeaseFence(lease: name, holder: "b", term: 2))
        try await b.createRun(RunRecord(id: "fresh", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one"])
        await #expect(throws: StoreError.runNotFound("late")) { try await b.snapshot(run: "late") }
        #expect(try await b.lease(name)?.term == 2)
    }

    @Test(arguments: StoreKind.available) func leadershipMovesOnlyFromTheExpectedTerm(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = LeadershipRecord(group: "g", leader: "i1", term: 1, expiresAt: now.addingTimeInterval(3), updatedAt: now)
        #expect(try await store.saveLeadership(first, expectedTerm: nil))
        #expect(try await !store.saveLeadership(first, expectedTerm: nil), "someone moved it first")
        let vacated = LeadershipRecord(group: "g", leader: nil, term: 1, expiresAt: now, updatedAt: now)
        #expect(try await store.saveLeadership(vacated, expectedTerm: 1))
        #expect(try await store.leadership(of: "g")?.leader == nil, "a vacated leadership has no leader")
        #expect(try await store.leaderships().map(\.group) == ["g"])
        let round = RoundRecord(id: "r1", kind: "consensus", group: "g", state: "{}", decision: nil, openedAt: now)
        try await store.saveRound(round)
        var decided = round
        decided.decision = "yes"
        decided.decidedAt = now
        try await store.saveRound(decided)
        #expect(try await store.round("r1") == decided)
        #expect(try await store.rounds(group: "g", limit: 5) == [decided])
    }

    @Test(arguments: StoreKind.available) func schedulesTicksAndTheTriggersCursor(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let schedule = try await store.ensureSchedule(ScheduleRecord(name: "beat", workflow: "demo", origin: .file, createdAt: created))
        #expect(schedule.name == "beat" && !schedule.paused)
        try await store.setPaused("beat", paused: true, reason: "maintenance")
        #expect(try await store.ensureSchedule(ScheduleRecord(name: "beat", workflow: "demo2", origin: .file)).pausedReason == "maintenance")
        await #expect(throws: StoreError.scheduleNotFound("nope")) { try await store.setPaused("nope", paused: true, reason: nil) }
        try await store.updateSchedule("beat", lastTick: created.addingTimeInterval(60), consecutiveFailures: 2)
        try await store.updateSchedule("beat", lastTick: created, consecutiveFailures: nil)
        let stored = try #require(try await store.schedules().first)
        #expect(stored.workflow == "demo2" && stored.lastTick == created.addingTimeInterval(60) && stored.consecutiveFailures == 2)
        let tick = created.addingTimeInterval(300)
        try await store.recordTick(TickRecord(schedule: "beat", scheduledAt: tick, outcome: .buffered, decidedAt: tick))
        try await store.recordTick(TickRecord(schedule: "beat", scheduledAt: tick, outcome: .started, runID: "r", decidedAt: tick, startedAt: tick))
        let ticks = try await store.ticks(schedule: "beat", outcome: nil, limit: 10)
        #expect(ticks.count == 1 && ticks.first?.outcome == .started && ticks.first?.runID == "r")
        #expect(try await store.ticks(schedule: nil, outcome: .skipped, limit: 10).isEmpty)
        try await store.removeSchedule("beat")
        #expect(try await store.schedules().isEmpty)

        #expect(try await store.journalCursor() == nil)
        let cursor = JournalCursor(journal: "j", seq: 41)
        try await store.recordFirings([FiringRecord(workflow: "w", topic: "t", outcome: .started, runID: "t-1", at: created)], cursor: cursor)
        #expect(try await store.journalCursor() == cursor)
        try await store.saveJournalCursor(nil)
        #expect(try await store.journalCursor() == nil)
    }

    @Test(arguments: StoreKind.available) func signalsSkipsChildrenRetriesAndTags(_ kind: StoreKind) async throws {
        let store = try await kind.make().store
        let definitionID = try await store.register(definition()).id
        try await store.createRun(RunRecord(id: "parent", workflow: "demo", definitionID: definitionID, input: .null, tags: ["env": "prod"]), steps: ["one"])
        try await store.createRun(RunRecord(id: "parent.one", workflow: "demo", definitionID: definitionID, input: .null, parentRunID: "parent",
                                            parentStepID: "one"), steps: [])
        var kept = AttemptRecord(runID: "again", stepID: "one", attempt: 1, input: .null)
        kept.status = .succeeded
        kept.output = .string("kept")
        try await store.createRun(RunRecord(id: "again", workflow: "demo", definitionID: definitionID, input: .null, retryOf: "parent"),
                                  steps: ["one", "two"], kept: [kept])
        #expect(try await store.children(of: "parent").map(\.id) == ["parent.one"])
        #expect(try await store.retries(of: "parent").map(\.id) == ["again"])
        let again = try await store.snapshot(run: "again")
        #expect(again.steps.map(\.status) == [.succeeded, .pending] && again.steps.first?.output == .string("kept"))
        #expect(try await store.history(HistoryQuery(tags: ["env": "prod"])).map(\.id) == ["parent"])
        #expect(try await store.history(HistoryQuery(tags: ["env": "dev"])).isEmpty)

        let signal = SignalRecord(id: "s1", runID: "parent", name: "approve", data: .object(["ok": .bool(true)]), sentAt: Date())
        try await store.apply([.signal(signal)], at: Date())
        var taken = signal
        taken.stepID = "one"
        taken.deliveredAt = Date()
        try await store.apply([.signal(taken)], at: Date())
        let signals = try await store.snapshot(run: "parent").signals
        #expect(signals.count == 1 && signals.first?.stepID == "one" && signals.first?.data == .object(["ok": .bool(true)]))

        try await store.recordSkip(SkipRecord(runID: "parent", agent: "a", handler: "h", status: .failed, reason: "gate", at: Date()))
        #expect(try await store.skips(run: "parent").map(\.handler) == ["h"])
        #expect(try await store.stoppedRuns(since: .distantPast, limit: 10).isEmpty)
    }
}
