import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import Foundation
import Logging

/// How late scheduled runs start: a one-step workflow fired every 100 ms by the real scheduler
/// (durable state, the engine, the bus); lateness = the run's creation − the tick's time.
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
        let firing = Task { await scheduler.run() }
        let warmUp = 10
        try await Task.sleep(for: .milliseconds(100 * (ticks + warmUp) + 50))
        firing.cancel()
        await firing.value
        let started = try await store.ticks(schedule: "tick", outcome: .started, limit: 100_000)
            .sorted { $0.scheduledAt < $1.scheduledAt }.dropFirst(warmUp)
        let lateness = started.compactMap { tick in tick.startedAt.map { $0.timeIntervalSince(tick.scheduledAt) * 1000 } }
        let others = try await store.ticks(schedule: "tick", outcome: nil, limit: 100_000).filter { $0.outcome != .started }
        let outcomes = Dictionary(grouping: others, by: \.outcome).map { "\($0.key.rawValue) \($0.value.count)" }.joined(separator: ", ")
        print("scheduler lateness: \(lateness.count) ticks every 100 ms (after \(warmUp) warm-up ticks); not started: \(others.isEmpty ? "none" : outcomes)")
        print(String(format: "lateness ms: min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f",
                     lateness.min() ?? 0, percentile(lateness, 0.5), percentile(lateness, 0.9), percentile(lateness, 0.99), lateness.max() ?? 0))
    }
}
