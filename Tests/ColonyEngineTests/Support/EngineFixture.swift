import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Logging
import Testing

/// A real engine on a temporary SQLite file, with a manual clock and a scripted dispatcher:
/// the engine's logic at test speed, its writes for real.
struct EngineFixture {
    let directory: URL
    let store: SQLiteWorkflowStore
    let clock: ManualClock
    let dispatcher: ScriptedDispatcher
    /// The store as the engine sees it: the SQLite store, with faults when a test injects them.
    let faults: FaultyStore
    let engine: Engine
    static let logger: Logger = {
        var logger = Logger(label: "colony.engine.test")
        logger.logLevel = .error
        return logger
    }()

    init(options: Engine.Options = Engine.Options(), clock: ManualClock = ManualClock(), store: SQLiteWorkflowStore? = nil,
         script: @escaping ScriptedDispatcher.Script) throws {
        if let store {
            self.store = store
            directory = URL(fileURLWithPath: store.path).deletingLastPathComponent()
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-engine-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            self.store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("colony.sqlite").path)
        }
        self.clock = clock
        dispatcher = ScriptedDispatcher(script)
        faults = FaultyStore(self.store)
        engine = Engine(store: faults, dispatcher: dispatcher, options: options, clock: clock, jitter: { 0 }, logger: Self.logger)
    }

    /// Another engine on the same store (a restarted orchestrator).
    func restarted(options: Engine.Options = Engine.Options(), script: @escaping ScriptedDispatcher.Script) throws -> EngineFixture {
        try EngineFixture(options: options, clock: clock, store: store, script: script)
    }

    /// Parses one workflow and stores it as a version.
    func workflow(_ yaml: String) async throws -> (id: Int64, definition: WorkflowDefinition) {
        var parser = WorkflowParser()
        let parsed = parser.parse(yaml, file: "test.yaml")
        #expect(parser.errors.isEmpty, "\(parser.errors)")
        var definition = try #require(parsed.first)
        let stored = try await store.register(definition)
        definition.storedVersion = stored.number
        return (stored.id, definition)
    }

    /// Starts a run of `yaml`'s workflow.
    func start(_ yaml: String, input: JSONValue = .object([:]), priority: Int = 0) async throws -> RunRecord {
        let (id, definition) = try await workflow(yaml)
        return try await engine.start(definitionID: id, definition: definition, input: input, priority: priority)
    }

    /// The run as the store has it, once the engine is done with it.
    func finished(_ run: RunID) async throws -> RunSnapshot {
        await engine.waitUntilFinished(run)
        return try await store.snapshot(run: run)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
