import ColonyCore
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import Foundation
import Logging
import ColonyWorkflow
import Synchronization

/// How late scheduled runs start: a one-step workflow fired every 100 ms by the real scheduler
/// (durable state, the engine, the bus); lateness = when the run started running (stored,
/// observed here to the microsecond) − the tick's time. Beside it, a bare timer's lateness at
/// the same cadence in the same process: the floor.
enum SchedulerLateness {
    static func run(_ harness: BenchHarness, ticks: Int) async throws {
        let directory = temporaryDirectory("colony-scheduler-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let workflows = directory.appendingPathComponent("workflows.yaml")
        try """
        workflows:
          - name: tick
            schedule: {every: 100ms, overlap: allow_all}
            steps:
              - {id: one, capability: noop}
        """.write(to: workflows, atomically: true, encoding: .utf8)
        let store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("bench.sqlite").path)
        let logger = Logger(label: "bench")
        var options = Engine.Options()
        options.maxConcurrentRuns = 10_000
        let engine = Engine(store: store, dispatcher: BusDispatcher(client: harness.client, logger: logger), options: options, logger: logger)
        let scheduler = Scheduler(store: store, engine: engine, registry: WorkflowRegistry(paths: [workflows.path], store: store), logger: logger)
        // When each run started running, to the microsecond (the store keeps milliseconds).
        let running = Mutex<[RunID: Date]>([:])
        await engine.observeTransitions { notices in
            let now = Date()
            running.withLock { started in
                for notice in notices where notice.step == nil && notice.to == RunStatus.running.rawValue { started[notice.run] = now }
            }
        }
        let firing = Task { await scheduler.run() }
        let warmUp = 10
        // The reference: a bare timer at the same cadence in the same process.
        let timer = Task {
            var lateness: [Double] = []
            var next = ContinuousClock.now
            for _ in 0..<(ticks + warmUp) {
                next += .milliseconds(100)
                try? await Task.sleep(until: next)
                lateness.append((ContinuousClock.now - next).milliseconds)
            }
            return Array(lateness.dropFirst(warmUp))
        }
        try await Task.sleep(for: .milliseconds(100 * (ticks + warmUp) + 50))
        firing.cancel()
        await firing.value
        let timerLateness = await timer.value
        let started = try await store.ticks(schedule: "tick", outcome: .started, limit: 100_000)
            .sorted { $0.scheduledAt < $1.scheduledAt }.dropFirst(warmUp)
        let runningAt = running.withLock { $0 }
        let lateness = started.compactMap { tick in tick.runID.flatMap { runningAt[$0] }.map { $0.timeIntervalSince(tick.scheduledAt) * 1000 } }
        let others = try await store.ticks(schedule: "tick", outcome: nil, limit: 100_000).filter { $0.outcome != .started }
        let outcomes = Dictionary(grouping: others, by: \.outcome).map { "\($0.key.rawValue) \($0.value.count)" }.joined(separator: ", ")
        print("scheduler lateness: \(lateness.count) ticks every 100 ms (after \(warmUp) warm-up ticks); not started: \(others.isEmpty ? "none" : outcomes)")
        print(distribution("lateness ms:", lateness))
        print(distribution("timer lateness ms:", timerLateness))
    }
}
