import ColonyEngine
import ColonyStore
import Foundation

/// What it costs the orchestrator to ask for its workflows (the run API, the scheduler and the
/// triggers ask at every request): `files` workflow files of 20 workflows each, looked at again
/// and again while they are fresh (each read and hashed, as every look was before the stamps
/// used file status) and once they have settled (a `stat` each).
enum CatalogLook {
    static func run(files: Int, looks: Int) async throws {
        let directory = temporaryDirectory("colony-catalog-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let workflowDirectory = directory.appendingPathComponent("workflows")
        try FileManager.default.createDirectory(at: workflowDirectory, withIntermediateDirectories: true)
        for file in 0..<files {
            let workflows = (0..<20).map { index in
                """
                  - name: flow-\(file)-\(index)
                    description: a workflow of ten steps, one after another
                    steps:
                \((0..<10).map { "      - {id: step\($0), capability: bench.noop\($0 > 0 ? ", depends_on: [step\($0 - 1)]" : "")}" }.joined(separator: "\n"))
                """
            }
            try ("workflows:\n" + workflows.joined(separator: "\n") + "\n")
                .write(to: workflowDirectory.appendingPathComponent("file-\(file).yaml"), atomically: false, encoding: .utf8)
        }
        let bytes = try FileManager.default.contentsOfDirectory(atPath: workflowDirectory.path)
            .reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: workflowDirectory.appendingPathComponent($1).path)[.size] as? Int) ?? 0) }
        let store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("bench.sqlite").path)
        let registry = WorkflowRegistry(paths: [workflowDirectory.path], store: store)
        let catalog = await registry.catalog()
        guard catalog.problems.isEmpty else { throw CatalogProblems(problems: catalog.problems.prefix(3).map(\.description)) }
        let count = catalog.workflows.count
        func timeLooks() async -> [Double] {
            var times: [Double] = []
            for _ in 0..<looks {
                let start = ContinuousClock.now
                _ = await registry.catalog()
                times.append((ContinuousClock.now - start).milliseconds * 1000)
            }
            return times
        }
        let fresh = await timeLooks()
        try await Task.sleep(for: .seconds(2.5))
        let settled = await timeLooks()
        print("catalog: \(files) files, \(count) workflows, \(bytes / 1024) KiB; \(looks) looks each")
        print(String(format: "  fresh (read and hashed):  p50 %8.1f us  p99 %8.1f us", median(fresh), percentile(fresh, 0.99)))
        print(String(format: "  settled (stat only):      p50 %8.1f us  p99 %8.1f us", median(settled), percentile(settled, 0.99)))
    }
}

/// The bench's own workflow files did not load.
struct CatalogProblems: Error {
    let problems: [String]
}
