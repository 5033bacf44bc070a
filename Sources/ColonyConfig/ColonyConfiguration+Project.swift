import Foundation

extension ColonyConfiguration {
    /// The nearest `configs/colony.yaml` in `directory` or above it, as git finds its
    /// repository: client commands work from any folder of the project.
    public static func projectFile(from directory: String = FileManager.default.currentDirectoryPath) -> String? {
        var current = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = current.appendingPathComponent(defaultPath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = current.deletingLastPathComponent()
            guard parent.path != current.path else { return nil }
            current = parent
        }
    }

    /// The configuration with its relative paths (keys, database, workflows, event journal)
    /// made absolute under `root`, the project folder they are relative to.
    func resolvingPaths(against root: String) -> ColonyConfiguration {
        func resolved(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: root).appendingPathComponent(path).standardizedFileURL.path
        }
        var copy = self
        copy.security.keyDirectory = resolved(security.keyDirectory)
        if !orchestrator.database.contains("://") { copy.orchestrator.database = resolved(orchestrator.database) }
        copy.orchestrator.workflows = orchestrator.workflows.map(resolved)
        if case .directory(let path) = broker.eventJournal.location { copy.broker.eventJournal.location = .directory(resolved(path)) }
        return copy
    }
}
