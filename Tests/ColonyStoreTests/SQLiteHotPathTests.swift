import Foundation
import GRDB
import Testing
import ColonyCore
import ColonyWorkflow

@testable import ColonyStore

/// The engine's hot path binds dates as text it formats itself: that text must be exactly what
/// GRDB stores for the same date, or reads and comparisons would see two formats.
@Suite struct DatabaseTextTests {
    @Test func datesAreStoredAsGRDBStoresThem() {
        var generator = SystemRandomNumberGenerator()
        let samples = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_000_000.999_9),
                       Date(timeIntervalSince1970: 951_782_400.5)]  // 2000-02-29
            + (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator)) }
        for date in samples {
            #expect(date.databaseText.databaseValue == date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }
}

/// The engine's writes leave the log's checkpoints to a connection of their own: the database
/// file takes in what the log holds without any write waiting for it.
@Suite struct WALCheckpointerTests {
    @Test func theLogReachesTheDatabaseFileWhileTheEngineWrites() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-wal-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try SQLiteWorkflowStore(path: path)
        var parser = WorkflowParser()
        let workflow = parser.parse("name: many\nsteps:\n  - {id: one, capability: echo}\n", file: "many.yaml")[0]
        let definitionID = try await store.register(workflow).id
        let fileSize = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = fileSize()
        for index in 0..<(WALCheckpointer.interval * 2) {
            let run = RunID("run-\(index)")
            try await store.createRun(RunRecord(id: run, workflow: "many", definitionID: definitionID, input: .object([:])), steps: ["one"])
            try await store.apply([.run(RunTransition(run: run, from: .pending, to: .running))], at: Date())
        }
        var grown = false
        for _ in 0..<500 where !grown {
            grown = fileSize() > before
            if !grown { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(grown, "\(before) bytes before, \(fileSize()) after \(WALCheckpointer.interval * 2) commits")
    }
}
