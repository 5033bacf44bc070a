import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import Synchronization

/// The real SQLite store with faults injected on purpose: reading a run's snapshot fails
/// while `failSnapshots` says so for its id. Everything else goes to the store unchanged.
final class FaultyStore: WorkflowStore {
    let base: SQLiteWorkflowStore
    private let failing: Mutex<@Sendable (RunID) -> Bool> = Mutex({ _ in false })

    init(_ base: SQLiteWorkflowStore) {
        self.base = base
    }

    /// Makes snapshots of the runs `matching` fail (with a database error) until changed again.
    func failSnapshots(of matching: @escaping @Sendable (RunID) -> Bool) {
        failing.withLock { $0 = matching }
    }

    func snapshot(run id: RunID) async throws(StoreError) -> RunSnapshot {
        if failing.withLock({ $0(id) }) { throw .database("disk I/O error (injected)") }
        return try await base.snapshot(run: id)
    }

    func register(_ definition: WorkflowDefinition) async throws(StoreError) -> StoredVersion { try await base.register(definition) }
    func definition(id: Int64) async throws(StoreError) -> WorkflowDefinition { try await base.definition(id: id) }
    func versions(of name: String, limit: Int) async throws(StoreError) -> [DefinitionRecord] { try await base.versions(of: name, limit: limit) }
    func createRun(_ run: RunRecord, steps: [StepID], kept: [AttemptRecord]) async throws(StoreError) {
        try await base.createRun(run, steps: steps, kept: kept)
    }
    func retries(of run: RunID) async throws(StoreError) -> [RunRecord] { try await base.retries(of: run) }
    func apply(_ changes: [StoreChange], at now: Date) async throws(StoreError) { try await base.apply(changes, at: now) }
    func recordSkip(_ skip: SkipRecord) async throws(StoreError) { try await base.recordSkip(skip) }
    func skips(run: RunID) async throws(StoreError) -> [SkipRecord] { try await base.skips(run: run) }
    func unfinishedRuns() async throws(StoreError) -> [RunSnapshot] { try await base.unfinishedRuns() }
    func history(_ query: HistoryQuery) async throws(StoreError) -> [RunRecord] { try await base.history(query) }
    func stoppedRuns(since: Date, limit: Int) async throws(StoreError) -> [RunRecord] { try await base.stoppedRuns(since: since, limit: limit) }
    func children(of run: RunID) async throws(StoreError) -> [RunRecord] { try await base.children(of: run) }
    func statistics(workflow: String) async throws(StoreError) -> WorkflowStatistics { try await base.statistics(workflow: workflow) }
}
