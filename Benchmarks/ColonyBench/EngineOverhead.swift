import ColonyAgent
import ColonyControlPlane
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyWorkflow
import Foundation
import Logging
import ColonyCore

/// Engine overhead per step, with durable state: each scenario is timed end to end on a fresh
/// SQLite file — or a fresh PostgreSQL database on the server `COLONY_BENCH_POSTGRES` names —
/// and compared with the same number of bare bus round trips at the same concurrency, so the
/// difference is what the engine adds.
enum EngineOverhead {
    struct Scenario {
        var name: String
        var workflow: WorkflowDefinition
        var runs: Int
        /// Requests in flight at once in the bare-bus comparison.
        var busConcurrency: Int
        /// Whether its store's transactions are timed alone too (`timeStoreAlone`).
        var timesStoreAlone = false
    }

    static var scenarios: [Scenario] {
        /// 1000 no-op steps in 20 layers of 50; each step depends on two of the layer before.
        let wide = definition("name: wide\nsteps:\n" + (0..<20).flatMap { layer in (0..<50).map { index in
            let deps = layer == 0 ? "" : ", depends_on: [l\(layer - 1)s\(index), l\(layer - 1)s\((index + 1) % 50)]"
            return "  - {id: l\(layer)s\(index), capability: noop, params: {i: \(index)}\(deps)}"
        } }.joined(separator: "\n"))
        return [
            Scenario(name: "1000-step DAG (20 layers x 50)", workflow: wide, runs: 1, busConcurrency: 50),
            Scenario(name: "1000-step chain", workflow: chain(1000), runs: 1, busConcurrency: 1, timesStoreAlone: true),
            Scenario(name: "100 concurrent 10-step runs", workflow: chain(10), runs: 100, busConcurrency: 100),
        ]
    }

    /// `steps` no-op steps one after another.
    static func chain(_ steps: Int) -> WorkflowDefinition {
        definition("name: chain\(steps)\nsteps:\n" + (0..<steps).map { index in
            "  - {id: s\(index), capability: noop\(index == 0 ? "" : ", depends_on: [s\(index - 1)]")}"
        }.joined(separator: "\n"))
    }

    /// With `controlPlane`, the engine runs with what the control plane adds: Prometheus metrics
    /// bootstrapped, every transition published on the bus (TransitionEvents) and a subscriber
    /// taking `workflow.` and `step.` events, as the HTTP event stream does.
    static func run(_ harness: BenchHarness, repetitions: Int, controlPlane: Bool = false) async throws {
        if controlPlane { _ = ColonyMetrics.registry }
        let database = ProcessInfo.processInfo.environment["COLONY_BENCH_POSTGRES"] == nil ? "SQLite" : "PostgreSQL"
        print("engine benchmark on \(database)\(controlPlane ? " with the control plane's load" : ""): \(repetitions) repetitions, medians; per step = wall time / steps")
        print("scenario                          steps  engine ms/step  bus-only ms/step  overhead ms/step  steps/s")
        // ONLY=chain (parts of scenarios' names, separated by |) runs just the scenarios it names.
        let only = ProcessInfo.processInfo.environment["ONLY"]?.split(separator: "|")
        for scenario in scenarios where only.map({ $0.contains { scenario.name.contains($0) } }) ?? true {
            let steps = scenario.workflow.steps.count * scenario.runs
            var engineTimes: [Double] = []
            var busTimes: [Double] = []
            var storeTimes: [Double] = []
            for _ in 0..<repetitions {
                let engine = try await timeRuns(harness, scenario.workflow, runs: scenario.runs, controlPlane: controlPlane)
                let bus = try await timeBus(harness, requests: steps, concurrency: scenario.busConcurrency)
                engineTimes.append(engine.elapsed.seconds)
                busTimes.append(bus.elapsed.seconds)
                // THREADS=1: each thread's CPU, wait for a core and switches per step, engine and bus apart.
                for report in [engine.report(per: steps, label: "\(scenario.name), engine"),
                               bus.report(per: steps, label: "\(scenario.name), bus alone")] {
                    if let report { print(report) }
                }
                if scenario.timesStoreAlone { storeTimes.append(try await timeStoreAlone(steps: steps).seconds) }
            }
            let engine = median(engineTimes) * 1000 / Double(steps)
            let bus = median(busTimes) * 1000 / Double(steps)
            print(scenario.name.padding(toLength: 32, withPad: " ", startingAt: 0)
                + String(format: "  %5d  %14.3f  %16.3f  %16.3f  %7.0f", steps, engine, bus, engine - bus, Double(steps) / median(engineTimes)))
            if !storeTimes.isEmpty {
                let store = median(storeTimes) * 1000 / Double(steps)
                print("\(scenario.name): " + String(format: "store alone ms/step %.3f, the engine's own %.3f (overhead minus the store)",
                                                     store, engine - bus - store))
            }
        }
    }

    /// Times `runs` concurrent runs of `workflow` on a fresh database.
    static func timeRuns(_ harness: BenchHarness, _ workflow: WorkflowDefinition, runs: Int, controlPlane: Bool) async throws -> ThreadTimes.Stretch {
        let directory = temporaryDirectory("colony-engine-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "bench")
        let store = try await openStore(in: directory)
        var options = Engine.Options()
        options.maxConcurrentRuns = 10_000
        // As the orchestrator does: the engine and its dispatcher's socket share a thread.
        // NO_ENGINE_LOOP=1: the engine on Swift's global executor instead (for comparison).
        let own = ProcessInfo.processInfo.environment["NO_ENGINE_LOOP"] == nil
        options.executor = own ? ColonyIO.engineLoop : nil
        let client = own ? ColonyClient(endpoints: harness.endpoints, credentials: nil, loop: ColonyIO.engineLoop) : harness.client
        let engine = Engine(store: store, dispatcher: BusDispatcher(client: client, logger: logger), options: options, logger: logger)
        let id = try await store.register(workflow).id
        var background: [Task<Void, Never>] = []
        var subscriber: Subscriber?
        if controlPlane {
            let publisher = Publisher(endpoints: harness.endpoints, source: "orchestrator", credentials: nil)
            try await publisher.connect()
            let transitions = TransitionEvents(publisher: publisher, logger: logger)
            await engine.observeTransitions { transitions.observe($0) }
            background.append(Task { await transitions.run() })
            let listener = Subscriber(endpoints: harness.endpoints, credentials: nil)
            let events = try await listener.subscribe(["workflow.", "step."])
            background.append(Task { for await _ in events {} })
            subscriber = listener
        }
        defer { for task in background { task.cancel() } }
        let clock = ContinuousClock()
        let start = ThreadTimes.now()
        let started = clock.now
        let finished = try await withThrowingTaskGroup(of: RunID.self) { group in
            for _ in 0..<runs {
                group.addTask {
                    let run = try await engine.start(definitionID: id, definition: workflow, input: .null)
                    await engine.waitUntilFinished(run.id)
                    return run.id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = clock.now - started
        let end = ThreadTimes.now()
        // Checked once the clock stopped: reading the runs back is not part of running them.
        // SNAPSHOTS=N: a single run read back N times, as a control-plane page of it or a
        // takeover's recovery reads it; the median printed.
        if runs == 1, let count = Int(ProcessInfo.processInfo.environment["SNAPSHOTS"] ?? ""), count > 0 {
            var times: [Double] = []
            for _ in 0..<count {
                let readStart = clock.now
                _ = try await store.snapshot(run: finished[0])
                times.append((clock.now - readStart).seconds)
            }
            print("\(workflow.name): its run read back (snapshot) " + String(format: "%.2f ms, median of %d", median(times) * 1000, count))
        }
        for run in finished {
            let status = try await store.snapshot(run: run).run.status
            precondition(status == .completed, "run \(run) ended \(status)")
        }
        await subscriber?.close()
        return ThreadTimes.Stretch(elapsed: elapsed, start: start, end: end)
    }

    /// Times `count` bare no-op requests, `concurrency` at a time (the bus alone).
    /// BUS_ON_LOOP=1: the requests are made the way the engine makes them, from tasks on the
    /// thread that owns their client's socket (no hop to the global executor and back).
    static func timeBus(_ harness: BenchHarness, requests count: Int, concurrency: Int) async throws -> ThreadTimes.Stretch {
        let onLoop = ProcessInfo.processInfo.environment["BUS_ON_LOOP"] != nil
        let client = onLoop ? ColonyClient(endpoints: harness.endpoints, credentials: nil, loop: ColonyIO.engineLoop) : harness.client
        let executor: (any TaskExecutor)? = onLoop ? ColonyIO.engineLoop : nil
        let clock = ContinuousClock()
        let start = ThreadTimes.now()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask(executorPreference: executor) {
                    for _ in stride(from: worker, to: count, by: concurrency) {
                        _ = try await client.request("noop", body: [Array("{}".utf8)], timeout: .seconds(30))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - started
        return ThreadTimes.Stretch(elapsed: elapsed, start: start, end: ThreadTimes.now())
    }
}
