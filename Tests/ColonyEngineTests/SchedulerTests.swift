import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

/// The scheduler in-process: workflow files in a temporary folder, a real store and engine,
/// a scripted dispatcher and a manual clock. Minutes of schedule pass in milliseconds, and
/// every tick's decision is checked.
@Suite struct SchedulerTests {
    struct Fixture {
        let engineFixture: EngineFixture
        let registry: WorkflowRegistry
        var clock: ManualClock { engineFixture.clock }
        var store: SQLiteWorkflowStore { engineFixture.store }

        init(workflows: String, clock: ManualClock = ManualClock(), script: @escaping ScriptedDispatcher.Script = { _ in .ok() }) throws {
            var options = Engine.Options()
            options.maxConcurrentRuns = 100
            engineFixture = try EngineFixture(options: options, clock: clock, script: script)
            let file = engineFixture.directory.appendingPathComponent("workflows.yaml")
            try workflows.write(to: file, atomically: true, encoding: .utf8)
            registry = WorkflowRegistry(paths: [file.path], store: engineFixture.store)
        }

        func scheduler() async -> Scheduler {
            let scheduler = Scheduler(store: store, engine: engineFixture.engine, registry: registry, clock: clock, logger: EngineFixture.logger)
            await engineFixture.engine.observeRunEnds { _, _ in Task { await scheduler.poke() } }
            return scheduler
        }

        /// Each tick of `schedule` as "offset from t0 in seconds: outcome".
        func ticks(_ schedule: String, from t0: Date) async throws -> [String] {
            try await store.ticks(schedule: schedule, outcome: nil, limit: 1000).sorted { $0.scheduledAt < $1.scheduledAt }
                .map { "\(Int($0.scheduledAt.timeIntervalSince(t0))): \($0.outcome.rawValue)" }
        }
    }

    @Test func ticksFireOnTheClockAndARestartCatchesUpOnlyWithinTheWindow() async throws {
        let fixture = try Fixture(workflows: """
        workflows:
          - name: minutely
            schedule: {every: 1m, overlap: allow_all, catch_up: {window: 3m, mode: all}}
            steps: [{id: beat, capability: beat}]
        """)
        defer { fixture.engineFixture.remove() }
        let t0 = fixture.clock.now
        let first = await fixture.scheduler()
        let firstLoop = Task { await first.run() }
        await fixture.clock.run(until: t0.addingTimeInterval(180))
        firstLoop.cancel()
        await firstLoop.value
        #expect(try await fixture.ticks("minutely", from: t0) == ["60: started", "120: started", "180: started"])

        // Down for ten minutes; the restarted scheduler starts what the window allows, once each.
        fixture.clock.advance(by: .seconds(600))
        let second = await fixture.scheduler()
        let secondLoop = Task { await second.run() }
        await fixture.clock.run(until: t0.addingTimeInterval(781))
        secondLoop.cancel()
        await secondLoop.value
        let ticks = try await fixture.ticks("minutely", from: t0)
        #expect(ticks == ["60: started", "120: started", "180: started"]
            + (4...9).map { "\($0 * 60): missed" } + (10...13).map { "\($0 * 60): started" })
        let runs = try await fixture.store.runs(schedule: "minutely", statuses: RunStatus.allCases, latest: nil)
        #expect(runs.count == 7)
        #expect(Set(runs.compactMap(\.scheduledAt)).count == 7, "one run per tick")
    }

    @Test func overlapPoliciesDecideWhatATickDoesWhileARunIsGoing() async throws {
        // Every run takes 150 s of engine time.
        let clock = ManualClock()
        let fixture = try Fixture(workflows: """
        workflows:
          - name: skipper
            schedule: {every: 1m, overlap: skip}
            steps: [{id: work, capability: slow}]
          - name: buffered
            schedule: {every: 1m, overlap: buffer_one}
            steps: [{id: work, capability: slow}]
        """, clock: clock) { _ in
            do {
                try await clock.sleep(for: .seconds(150))
            } catch {
                return .error("cancelled")
            }
            return .ok()
        }
        defer { fixture.engineFixture.remove() }
        let t0 = clock.now
        let scheduler = await fixture.scheduler()
        // Passes are driven one by one here (the loop that calls them is tested above), so the
        // runs' own sleeps and the passes cannot race.
        func pass(at seconds: Double) async {
            clock.advance(to: t0.addingTimeInterval(seconds))
            await scheduler.pass(now: clock.now)
        }
        _ = await scheduler.scheduledWorkflows(now: t0, reload: true)
        await pass(at: 60)
        await fixture.engineFixture.dispatcher.waitForOrders(2)
        await pass(at: 120)
        await pass(at: 180)
        let first = try await fixture.store.runs(schedule: "skipper", statuses: [.running], latest: nil)
            + fixture.store.runs(schedule: "buffered", statuses: [.running], latest: nil)
        clock.advance(to: t0.addingTimeInterval(210))
        for run in first { await fixture.engineFixture.engine.waitUntilFinished(run.id) }
        await pass(at: 210)
        await fixture.engineFixture.dispatcher.waitForOrders(3)
        await pass(at: 240)
        await pass(at: 300)
        // skip: the run of 60 goes until 210, so 120 and 180 are skipped; 240 starts.
        #expect(try await fixture.ticks("skipper", from: t0) == ["60: started", "120: skipped", "180: skipped", "240: started", "300: skipped"])
        // buffer_one: 120 waits for the run of 60 and starts when it ends (at 210); 180 finds
        // one tick waiting already and is skipped; 240 waits again, so 300 is skipped too.
        let buffered = try await fixture.store.ticks(schedule: "buffered", outcome: nil, limit: 100).sorted { $0.scheduledAt < $1.scheduledAt }
        #expect(buffered.map { Int($0.scheduledAt.timeIntervalSince(t0)) } == [60, 120, 180, 240, 300])
        #expect(buffered.map(\.outcome) == [.started, .started, .skipped, .buffered, .skipped])
        #expect(buffered.count > 1 && buffered[1].startedAt == t0.addingTimeInterval(210), "the buffered tick started when the run before it ended")
        let runs = try await fixture.store.runs(schedule: "buffered", statuses: RunStatus.allCases, latest: nil)
        let spans = runs.compactMap { run in run.startedAt.map { ($0, run.finishedAt ?? .distantFuture) } }.sorted { $0.0 < $1.0 }
        #expect(!zip(spans, spans.dropFirst()).contains { $1.0 < $0.1 }, "no two runs of a buffered schedule overlap")
    }
}
