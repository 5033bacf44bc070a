import ColonyCore
@testable import ColonyEngine
import ColonyStore
import Foundation
import Testing

/// The registry parses the workflow files again only when their content hash changed, so it
/// sees every change, even one that keeps the file's size within the same second.
@Suite struct WorkflowRegistryTests {
    @Test func anEditIsSeenAtOnceEvenWhenItKeepsTheFileSize() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-registry-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("workflows.yaml")
        let store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("db.sqlite").path)
        let registry = WorkflowRegistry(paths: [file.path], store: store)
        try "workflows:\n  - {name: aaa, steps: [{id: s, capability: echo}]}\n".write(to: file, atomically: false, encoding: .utf8)
        #expect(await registry.catalog().workflows.map(\.name) == ["aaa"])
        try "workflows:\n  - {name: bbb, steps: [{id: s, capability: echo}]}\n".write(to: file, atomically: false, encoding: .utf8)
        #expect(await registry.catalog().workflows.map(\.name) == ["bbb"], "same size, same second: still seen")
        #expect(await registry.catalog().workflows.map(\.name) == ["bbb"])
    }
}
