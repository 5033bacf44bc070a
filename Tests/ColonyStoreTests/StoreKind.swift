import ColonyPostgres
import ColonyStore
import ColonyWorkflow
import Foundation
import Logging
import Testing

/// Everything the orchestrator asks of a store.
typealias FullStore = WorkflowStore & ScheduleStore & CoordinationStore & TriggerStore

/// The stores the conformance suite runs against: SQLite always, PostgreSQL when
/// `COLONY_TEST_POSTGRES` names a server (`scripts/test` starts a throwaway one; under CI it must).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var available: [StoreKind] {
        ProcessInfo.processInfo.environment["COLONY_TEST_POSTGRES"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static let logger: Logger = {
        var logger = Logger(label: "colony.store.test")
        logger.logLevel = .error
        return logger
    }()

    /// A new, empty store of this kind, and a way to open it again (another connection, as a
    /// restarted orchestrator would).
    func make() async throws -> (store: any FullStore, reopen: @Sendable () async throws -> any FullStore) {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-store-\(UUID().uuidString.prefix(8))/colony.sqlite").path
            return (try SQLiteWorkflowStore(path: path), { try SQLiteWorkflowStore(path: path) })
        case .postgres:
            let location = try await Self.freshDatabase()
            return (try await PostgresWorkflowStore(location, logger: Self.logger), { try await PostgresWorkflowStore(location, logger: Self.logger) })
        }
    }

    /// A database of its own for one test, on the server `COLONY_TEST_POSTGRES` names.
    static func freshDatabase() async throws -> PostgresLocation {
        let server = try PostgresLocation(ProcessInfo.processInfo.environment["COLONY_TEST_POSTGRES"] ?? "")
        return try await server.creatingDatabase("colony_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))
    }
}

/// A run `run-1` of a one-step workflow whose step `one` is dispatched (attempt 1, input `{}`):
/// what the snapshot tests tamper with.
func seedOneDispatchedStep(in store: any WorkflowStore) async throws {
    var parser = WorkflowParser()
    let definition = parser.parse("name: demo\nsteps:\n  - {id: one, capability: echo}\n", file: "demo.yaml")[0]
    let definitionID = try await store.register(definition).id
    try await store.createRun(RunRecord(id: "run-1", workflow: "demo", definitionID: definitionID, input: .null), steps: ["one"])
    try await store.transitionStep(run: "run-1", step: "one", from: .pending, to: .dispatched,
                                   attempt: AttemptRecord(runID: "run-1", stepID: "one", attempt: 1, input: .object([:])), detail: nil)
}
