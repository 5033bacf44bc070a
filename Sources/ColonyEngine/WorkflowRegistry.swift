import ColonyCore
import ColonyStore
import ColonyWorkflow
import ColonyYAML
import Foundation

/// The workflows the orchestrator can start: read from the workflow files on every request
/// (so an edited file takes effect without a restart and makes a new version), each stored
/// by content before a run uses it. A workflow whose file has problems cannot start. The run API,
/// the scheduler and the trigger service all ask, often: each time the files are looked at
/// (`FileStamps`: a `stat` each while they are settled, a read and a hash in the seconds after a
/// change) and parsed again only when one reads differently.
public actor WorkflowRegistry {
    let paths: [String]
    let store: any WorkflowStore
    /// Definitions already stored, by name and fingerprint.
    private var versions: [String: StoredVersion] = [:]
    /// The workflow files as last looked at.
    private var files = FileStamps()
    /// The catalog last read, from the files as `files` saw them (or newer).
    private var loaded: WorkflowCatalog?

    public init(paths: [String], store: any WorkflowStore) {
        self.paths = paths
        self.store = store
    }

    /// The files as they are now.
    public func catalog() -> WorkflowCatalog {
        let changed = files.refresh(WorkflowCatalog.files(paths))
        if !changed, let loaded { return loaded }
        let catalog = WorkflowCatalog.load(paths)
        loaded = catalog
        return catalog
    }

    /// Stores `definition` (once per content) and returns its version id.
    public func version(of definition: WorkflowDefinition) async throws(StoreError) -> Int64 {
        try await stored(definition).id
    }

    /// Stores `definition` (once per content): its id and its number among the workflow's versions.
    public func stored(_ definition: WorkflowDefinition) async throws(StoreError) -> StoredVersion {
        let key = "\(definition.name)@\(definition.fingerprint)"
        if let known = versions[key] { return known }
        let stored = try await store.register(definition)
        versions[key] = stored
        return stored
    }

    /// The current version of `name`, stored; `catalog` when the files were just read.
    public func current(_ name: String, in catalog: WorkflowCatalog? = nil) async throws(RegistryError) -> (id: Int64, definition: WorkflowDefinition) {
        let catalog = catalog ?? self.catalog()
        guard let definition = catalog.workflows.first(where: { $0.name == name }) else {
            let related = catalog.problems.filter { $0.message.contains("'\(name)'") || $0.message.contains(name) }
            throw .unknown(name, known: catalog.workflows.map(\.name), problems: (related.isEmpty ? catalog.problems : related).map(\.description))
        }
        do {
            let stored = try await stored(definition)
            var numbered = definition
            numbered.storedVersion = stored.number
            return (stored.id, numbered)
        } catch {
            throw .store(error)
        }
    }

    /// Refuses a name that is neither in the workflow files nor in the stored history (a typo in
    /// `history NAME` or `stats NAME`), with the nearest known name.
    public func requireKnown(_ name: String) async throws(RegistryError) {
        let catalog = catalog()
        guard !catalog.workflows.contains(where: { $0.name == name }) else { return }
        do {
            guard try await store.versions(of: name, limit: 1).isEmpty else { return }
        } catch {
            throw .store(error)
        }
        throw .neverKnown(name, known: catalog.workflows.map(\.name))
    }

    /// Every runnable workflow with its stored version.
    public func summaries() async throws(RegistryError) -> WorkflowList {
        let catalog = catalog()
        var workflows: [WorkflowSummary] = []
        for definition in catalog.workflows {
            let stored: StoredVersion
            do {
                stored = try await self.stored(definition)
            } catch {
                throw .store(error)
            }
            workflows.append(WorkflowSummary(
                name: definition.name, description: definition.description, version: Int64(stored.number), fingerprint: definition.fingerprint,
                enabled: definition.enabled, steps: definition.steps.map(\.id), inputs: definition.inputs.map(\.name),
                file: definition.file, line: definition.line,
                graph: definition.steps.map { WorkflowSummary.StepNode($0, handler: false) } + definition.handlers.map { WorkflowSummary.StepNode($0, handler: true) }
            ))
        }
        return WorkflowList(workflows: workflows, problems: catalog.problems.map(\.description))
    }
}

/// Why a workflow cannot be started.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    case unknown(String, known: [String], problems: [String])
    /// Neither the workflow files nor the stored history know the name.
    case neverKnown(String, known: [String])
    case store(StoreError)

    public var description: String {
        switch self {
        case .unknown(let name, let known, let problems):
            var text = "no runnable workflow '\(name)'"
            if let hint = didYouMean(name, in: known) { text += " (\(hint))" }
            if !known.isEmpty { text += "; known: \(known.joined(separator: ", "))" }
            if !problems.isEmpty { text += "; problems in the workflow files: \(problems.joined(separator: " | "))" }
            return text
        case .neverKnown(let name, let known):
            var text = "no workflow '\(name)' in the workflow files or the history"
            if let hint = didYouMean(name, in: known) { text += " (\(hint))" }
            return text
        case .store(let error): return "\(error)"
        }
    }
}
