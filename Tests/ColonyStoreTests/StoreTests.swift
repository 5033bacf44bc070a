import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

@Suite struct StoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-store-\(UUID().uuidString.prefix(8))/colony.sqlite").path

    func definition(_ text: String = "name: demo\nsteps:\n  - id: one\n    capability: echo\n  - id: two\n    capability: math.add\n    depends_on: [one]\n    condition: steps.one.status == 'succeeded'\n    params: {a: \"${steps.one.output.x}\", b: 2}\n    retry: {max_attempts: 3, initial_interval: 250ms}\n") -> WorkflowDefinition {
        var parser = WorkflowParser()
        return parser.parse(text, file: "demo.yaml")[0]
    }

    @Test func triggerFiringsKeepOnlyTheNewestPerWorkflow() async throws {
        let store = try SQLiteWorkflowStore(path: path)
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

    @Test func definitionsAreVersionedByContentAndReadBackWhole() async throws {
        let store = try SQLiteWorkflowStore(path: path)
        let first = definition()
        let id = try await store.register(first)
        #expect(try await store.register(first) == id, "the same content is the same version")
        var changed = first
        changed.steps[0].capability = "echo.stream"
        #expect(try await store.register(changed) != id, "a changed definition is a new version")
        let restored = try await store.definition(id: id)
        #expect(restored.fingerprint == first.fingerprint)
        #expect(restored.steps.map(\.id) == ["one", "two"])
        #expect(restored.step("two")?.retry.initialInterval == .milliseconds(250))
        #expect(restored.step("two")?.conditionText == "steps.one.status == 'succeeded'")
    }

    @Test func everyTransitionIsLoggedAndStaleOnesAreRefused() async throws {
        let store = try SQLiteWorkflowStore(path: path)
        let definitionID = try await store.register(definition())
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

    @Test func aScheduleTickStartsAtMostOneRun() async throws {
        let store = try SQLiteWorkflowStore(path: path)
        let definitionID = try await store.register(definition())
        let tick = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.createRun(RunRecord(id: "a", workflow: "demo", definitionID: definitionID, input: .null, scheduleID: "every-5m", scheduledAt: tick), steps: [])
        await #expect(throws: StoreError.duplicateScheduledRun(schedule: "every-5m", at: tick)) {
            try await store.createRun(RunRecord(id: "b", workflow: "demo", definitionID: definitionID, input: .null, scheduleID: "every-5m", scheduledAt: tick), steps: [])
        }
    }

    @Test func stateSurvivesReopeningTheFile() async throws {
        do {
            let store = try SQLiteWorkflowStore(path: path)
            let definitionID = try await store.register(definition())
            try await store.createRun(RunRecord(id: "survivor", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one", "two"])
            try await store.transitionRun("survivor", from: .pending, to: .running, output: nil, error: nil, detail: nil)
        }
        let reopened = try SQLiteWorkflowStore(path: path)
        let unfinished = try await reopened.unfinishedRuns()
        #expect(unfinished.map(\.run.id) == ["survivor"])
        #expect(unfinished.first?.steps.map(\.status) == [.pending, .pending])
    }

    @Test func historyAndStatistics() async throws {
        let store = try SQLiteWorkflowStore(path: path)
        let definitionID = try await store.register(definition())
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
}
