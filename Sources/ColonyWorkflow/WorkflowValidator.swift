import ColonyYAML

/// Checks what a parser cannot see one field at a time: the DAG and its references.
public enum WorkflowValidator {
    /// Every problem in `workflow`, located in its file.
    public static func problems(in workflow: WorkflowDefinition) -> [ConfigError] {
        var problems: [ConfigError] = []
        func report(_ line: Int, _ message: String, hint: String? = nil) {
            problems.append(ConfigError(file: workflow.file, line: line, message: "workflow '\(workflow.name)': \(message)", hint: hint))
        }
        let stepIDs = workflow.steps.map(\.id)
        let handlerIDs = workflow.handlers.map(\.id)
        let allIDs = stepIDs + handlerIDs
        var seen: [String: Int] = [:]
        for step in workflow.steps + workflow.handlers {
            if let first = seen[step.id] { report(step.line, "step id '\(step.id)' is used twice", hint: "first at line \(first)") }
            seen[step.id] = seen[step.id] ?? step.line
        }

        // Dependencies: known, among steps (handlers are not part of the DAG).
        for step in workflow.steps {
            for dependency in step.dependsOn where !stepIDs.contains(dependency) {
                let hint = handlerIDs.contains(dependency) ? "'\(dependency)' is a handler; steps cannot depend on handlers"
                    : closestMatch(to: dependency, in: stepIDs).map { "did you mean '\($0)'?" }
                report(step.line, "step '\(step.id)' depends on unknown step '\(dependency)'", hint: hint)
            }
        }
        if let cycle = findCycle(workflow.steps) {
            let line = workflow.step(cycle[0])?.line ?? workflow.line
            report(line, "steps form a cycle: \(cycle.joined(separator: " → "))", hint: "remove one of these depends_on entries")
        }

        // References: inputs declared; steps upstream (steps) or existing (handlers).
        let inputNames = workflow.inputs.map(\.name)
        let ancestors = ancestorsByStep(workflow.steps)
        for step in workflow.steps + workflow.handlers {
            let isHandler = handlerIDs.contains(step.id)
            for reference in step.references {
                switch reference {
                case .input(let path) where !inputNames.contains(path[0]):
                    report(step.line, "step '\(step.id)' references undeclared input '\(path[0])'",
                           hint: closestMatch(to: path[0], in: inputNames).map { "did you mean '\($0)'?" } ?? "declare it under 'inputs'")
                case .failure where !isHandler:
                    report(step.line, "step '\(step.id)' references '\(reference)', which only handlers can see")
                default:
                    break
                }
                guard let target = reference.step else { continue }
                if !allIDs.contains(target) {
                    report(step.line, "step '\(step.id)' references unknown step '\(target)'",
                           hint: closestMatch(to: target, in: stepIDs).map { "did you mean '\($0)'?" })
                } else if handlerIDs.contains(target) {
                    report(step.line, "step '\(step.id)' references handler '\(target)'; handlers have no outputs others can use")
                } else if !isHandler, target == step.id {
                    report(step.line, "step '\(step.id)' references its own result")
                } else if !isHandler, !(ancestors[step.id]?.contains(target) ?? false) {
                    report(step.line, "step '\(step.id)' references steps.\(target) but does not run after it",
                           hint: "add '\(target)' to its depends_on")
                }
            }
        }

        // Failure handling points at handlers.
        for step in workflow.steps {
            if case .compensate(let handler) = step.onFailure, !handlerIDs.contains(handler) {
                report(step.line, "step '\(step.id)' compensates with unknown handler '\(handler)'",
                       hint: closestMatch(to: handler, in: handlerIDs).map { "did you mean '\($0)'?" } ?? "declare it under 'handlers'")
            }
        }
        if let onError = workflow.onError, !handlerIDs.contains(onError) {
            report(workflow.line, "'on_error' names unknown handler '\(onError)'",
                   hint: closestMatch(to: onError, in: handlerIDs).map { "did you mean '\($0)'?" } ?? "declare it under 'handlers'")
        }
        for input in workflow.inputs where input.required && input.defaultValue != nil {
            report(input.line, "input '\(input.name)' is required and has a default; drop one")
        }
        return problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) }
    }

    /// A dependency cycle as step ids, first one repeated at the end; nil if the graph is a DAG.
    static func findCycle(_ steps: [StepDefinition]) -> [String]? {
        let dependencies = Dictionary(steps.map { ($0.id, $0.dependsOn) }, uniquingKeysWith: { first, _ in first })
        var state: [String: Bool] = [:] // false: on the current path, true: finished
        var path: [String] = []
        func visit(_ id: String) -> [String]? {
            if state[id] == true { return nil }
            if state[id] == false, let start = path.firstIndex(of: id) { return Array(path[start...]) + [id] }
            state[id] = false
            path.append(id)
            for dependency in dependencies[id] ?? [] where dependencies[dependency] != nil {
                if let cycle = visit(dependency) { return cycle }
            }
            path.removeLast()
            state[id] = true
            return nil
        }
        for step in steps {
            if let cycle = visit(step.id) { return Array(cycle.reversed()) }
        }
        return nil
    }

    /// Every step's transitive dependencies.
    static func ancestorsByStep(_ steps: [StepDefinition]) -> [String: Set<String>] {
        let dependencies = Dictionary(steps.map { ($0.id, $0.dependsOn) }, uniquingKeysWith: { first, _ in first })
        var memo: [String: Set<String>] = [:]
        func ancestors(_ id: String, _ visiting: Set<String>) -> Set<String> {
            if let known = memo[id] { return known }
            var result = Set<String>()
            for dependency in dependencies[id] ?? [] where !visiting.contains(dependency) {
                result.insert(dependency)
                result.formUnion(ancestors(dependency, visiting.union([id])))
            }
            memo[id] = result
            return result
        }
        for step in steps { _ = ancestors(step.id, []) }
        return memo
    }
}

/// Workflow definitions loaded from files, with every problem found in them.
public struct WorkflowCatalog: Sendable {
    public var workflows: [WorkflowDefinition]
    public var problems: [ConfigError]

    /// The default locations: `configs/workflows.yaml` and `configs/workflows/*.yaml`.
    public static let defaultPaths = ["configs/workflows.yaml", "configs/workflows"]

    /// Loads files and directories (every `.yaml`/`.yml` inside, in name order).
    public static func load(_ paths: [String]) -> WorkflowCatalog {
        var parser = WorkflowParser()
        var workflows: [WorkflowDefinition] = []
        var problems: [ConfigError] = []
        for file in expand(paths) {
            guard let data = FileManager.default.contents(atPath: file) else {
                problems.append(ConfigError(file: file, message: "cannot read the workflows file"))
                continue
            }
            for workflow in parser.parse(String(decoding: data, as: UTF8.self), file: file) {
                if let earlier = workflows.first(where: { $0.name == workflow.name }) {
                    problems.append(ConfigError(file: file, line: workflow.line, message: "workflow '\(workflow.name)' is declared twice",
                                                hint: "first in \(earlier.file):\(earlier.line)"))
                    continue
                }
                let found = WorkflowValidator.problems(in: workflow)
                problems += found
                if found.isEmpty { workflows.append(workflow) }
            }
        }
        problems += childProblems(workflows)
        return WorkflowCatalog(workflows: workflows, problems: parser.errors + problems)
    }

    /// Child workflows that do not exist, and workflows that would run themselves.
    static func childProblems(_ workflows: [WorkflowDefinition]) -> [ConfigError] {
        let byName = Dictionary(uniqueKeysWithValues: workflows.map { ($0.name, $0) })
        var problems: [ConfigError] = []
        for workflow in workflows {
            for step in workflow.steps + workflow.handlers {
                guard let child = step.childWorkflow else { continue }
                if byName[child] == nil {
                    problems.append(ConfigError(file: workflow.file, line: step.line,
                                                message: "workflow '\(workflow.name)': step '\(step.id)' runs unknown workflow '\(child)'",
                                                hint: closestMatch(to: child, in: Array(byName.keys)).map { "did you mean '\($0)'?" }))
                }
            }
            // A workflow reachable from itself through child steps would never end.
            var path: [String] = [workflow.name]
            func visit(_ name: String) -> [String]? {
                for step in (byName[name]?.steps ?? []) + (byName[name]?.handlers ?? []) {
                    guard let child = step.childWorkflow, byName[child] != nil else { continue }
                    if child == workflow.name { return path + [child] }
                    if path.contains(child) { continue }
                    path.append(child)
                    if let cycle = visit(child) { return cycle }
                    path.removeLast()
                }
                return nil
            }
            if let cycle = visit(workflow.name) {
                problems.append(ConfigError(file: workflow.file, line: workflow.line,
                                            message: "workflow '\(workflow.name)' runs itself through child workflows: \(cycle.joined(separator: " → "))"))
            }
        }
        return problems
    }

    static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(path)/\($0)" }
        }
    }
}

import Foundation
