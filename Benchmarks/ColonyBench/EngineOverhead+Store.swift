import ColonyCore
import ColonyEngine
import ColonyOrchestrator
import ColonyPostgres
import ColonyStore
import ColonyWorkflow
import Foundation
import Logging

/// The store's share of a chain, timed alone: the transactions a chain's steps commit, one
/// after another, with no engine and no bus. A chain step costs a bus round trip, this, and
/// the engine's own hand-overs; this part moves with the machine's disk and page cache, which
/// is why the chain's ratio to the bus moves from hour to hour (docs/PERFORMANCE.md).
extension EngineOverhead {
    /// A fresh store: a SQLite file in `directory`, or a new database on the PostgreSQL server
    /// `COLONY_BENCH_POSTGRES` names; fenced by the orchestrator's lease, as the active
    /// orchestrator's store is (every write checks the lease's holder and term).
    static func openStore(in directory: URL) async throws -> any OrchestratorStore {
        let store: any OrchestratorStore
        if let server = ProcessInfo.processInfo.environment["COLONY_BENCH_POSTGRES"] {
            let name = "colony_bench_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_")
            let location = try await PostgresLocation(server).creatingDatabase(name).description
            store = try await OrchestratorStores.open(location, logger: Logger(label: "bench"))
        } else {
            store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("bench.sqlite").path)
        }
        guard let term = try await store.acquireLease(OrchestratorLease.name, holder: "bench", duration: .seconds(3600), now: Date()) else {
            throw BenchError.leaseTaken
        }
        store.fence(LeaseFence(lease: OrchestratorLease.name, holder: "bench", term: term))
        return store
    }

    /// Times the batches a `steps`-step chain commits, as the engine writes them: the run
    /// starting with its first step, then a batch a step (that step's attempt ended, with the
    /// broker's dispatch notice folded in, the step succeeded, the next one dispatched), and
    /// the run's end with its last step.
    static func timeStoreAlone(steps: Int) async throws -> Duration {
        let directory = temporaryDirectory("colony-store-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await openStore(in: directory)
        let workflow = chain(steps)
        let definition = try await store.register(workflow).id
        let run = RunID("bench-\(UUID().uuidString.prefix(8))")
        let ids = workflow.steps.map(\.id)
        try await store.createRun(RunRecord(id: run, workflow: workflow.name, definitionID: definition, input: .null), steps: ids)
        let instance = InstanceID("noop-1")

        func dispatched(_ index: Int) -> StoreChange {
            .step(StepTransition(run: run, step: ids[index], from: .pending, to: .dispatched,
                                 attempt: AttemptRecord(runID: run, stepID: ids[index], attempt: 1, input: .object([:]))))
        }
        func succeeded(_ index: Int) -> StoreChange {
            var attempt = AttemptRecord(runID: run, stepID: ids[index], attempt: 1, input: .object([:]))
            attempt.agent = "noop"
            attempt.instance = instance
            attempt.status = .succeeded
            attempt.output = .object([:])
            attempt.finishedAt = Date()
            return .step(StepTransition(run: run, step: ids[index], from: .dispatched, to: .succeeded, attempt: attempt))
        }

        let clock = ContinuousClock()
        let started = clock.now
        try await store.apply([.run(RunTransition(run: run, from: .pending, to: .running)), dispatched(0)], at: Date())
        for index in ids.indices {
            let next: StoreChange = index + 1 < ids.count
                ? dispatched(index + 1) : .run(RunTransition(run: run, from: .running, to: .completed, output: .object([:])))
            try await store.apply([succeeded(index), next], at: Date())
        }
        let elapsed = clock.now - started
        let status = try await store.snapshot(run: run).run.status
        precondition(status == .completed, "the store's chain ended \(status)")
        return elapsed
    }
}

enum BenchError: Error {
    /// A fresh store's lease was held already.
    case leaseTaken
}
