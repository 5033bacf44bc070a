import ColonyCore
import ColonyYAML

/// Checks what a parser cannot see one field at a time: the DAG and its references.
public enum WorkflowValidator {
    /// Every problem in `workflow`, located in its file.
    public static func problems(in workflow: WorkflowDefinition) -> [ConfigError] {
        var problems: [ConfigError] = []
        func report(_ line: Int, _ message: String, hint: String? = nil) {
            problems.append(ConfigError(file: workflow.file, line: line, message: "workflow '\(workflow.name)': \(message)", hint: hint))
        }
        guard workflow.steps.count + workflow.handlers.count <= WorkflowDefinition.maximumSteps else {
            report(workflow.line, "has \(workflow.steps.count + workflow.handlers.count) steps and handlers; at most \(WorkflowDefinition.maximumSteps) are allowed",
                   hint: "split it into child workflows (workflow: NAME steps)")
            return problems
        }
        let stepIDs = workflow.steps.map(\.id)
        let stepSet = Set(stepIDs)
        let handlerSet = Set(workflow.handlers.map(\.id))
        let handlerIDs = workflow.handlers.map(\.id)
        var seen: [StepID: Int] = [:]
        for step in workflow.steps + workflow.handlers {
            if let first = seen[step.id] { report(step.line, "step id '\(step.id)' is used twice", hint: "first at line \(first)") }
            seen[step.id] = seen[step.id] ?? step.line
        }

        // Dependencies: known, among steps (handlers are not part of the DAG).
        for step in workflow.steps {
            for dependency in step.dependsOn where !stepSet.contains(dependency) {
                let hint = handlerSet.contains(dependency) ? "'\(dependency)' is a handler; steps cannot depend on handlers"
                    : didYouMean(dependency, in: stepIDs)
                report(step.line, "step '\(step.id)' depends on unknown step '\(dependency)'", hint: hint)
            }
        }
        for step in workflow.steps {
            var listed = Set<StepID>()
            for dependency in step.dependsOn where !listed.insert(dependency).inserted {
                report(step.line, "step '\(step.id)' lists '\(dependency)' twice in depends_on", hint: "keep one")
            }
        }
        for step in workflow.steps + workflow.handlers {
            for text in step.params.strings where text.contains("{{") && text.contains("}}") {
                report(step.line, "step '\(step.id)' has '\(text)' in its params, which Colony passes on as it is",
                       hint: "Colony's references are written ${…}, e.g. ${input.name} or ${steps.ID.output.field}")
            }
        }
        let graph = StepGraph(workflow.steps)
        if let cycle = graph.cycle {
            let line = workflow.step(cycle[0])?.line ?? workflow.line
            report(line, "steps form a cycle: \(cycle.map(\.rawValue).joined(separator: " → "))", hint: "remove one of these depends_on entries")
        }

        // References: inputs declared; steps upstream (steps) or existing (handlers).
        let inputNames = workflow.inputs.map(\.name)
        let inputSet = Set(inputNames)
        for step in workflow.steps + workflow.handlers {
            let isHandler = handlerSet.contains(step.id)
            for reference in step.references {
                switch reference {
                case .input(let path) where !inputSet.contains(path[0]):
                    report(step.line, "step '\(step.id)' references undeclared input '\(path[0])'",
                           hint: didYouMean(path[0], in: inputNames) ?? "declare it under 'inputs'")
                case .failure where !isHandler:
                    report(step.line, "step '\(step.id)' references '\(reference)', which only handlers can see")
                case .item where step.forEach == nil:
                    report(step.line, "step '\(step.id)' references '\(reference)', which only a for_each step's params can see")
                case .event:
                    report(step.line, "step '\(step.id)' references '\(reference)'; the event is seen by the workflow's trigger only",
                           hint: "map it onto an input in trigger.input and read ${input.NAME}")
                default:
                    break
                }
                guard let target = reference.step else { continue }
                if !stepSet.contains(target) && !handlerSet.contains(target) {
                    report(step.line, "step '\(step.id)' references unknown step '\(target)'",
                           hint: didYouMean(target, in: stepIDs))
                } else if handlerSet.contains(target) {
                    report(step.line, "step '\(step.id)' references handler '\(target)'; handlers have no outputs others can use")
                } else if !isHandler, target == step.id {
                    report(step.line, "step '\(step.id)' references its own result")
                } else if !isHandler, graph.runsBefore(target, step.id) == false {
                    report(step.line, "step '\(step.id)' references steps.\(target) but does not run after it",
                           hint: "add '\(target)' to its depends_on")
                }
            }
        }

        // Failure handling points at handlers.
        for step in workflow.steps {
            if case .compensate(let handler) = step.onFailure, !handlerSet.contains(handler) {
                report(step.line, "step '\(step.id)' compensates with unknown handler '\(handler)'",
                       hint: didYouMean(handler, in: handlerIDs) ?? "declare it under 'handlers'")
            }
        }
        if let onError = workflow.onError, !handlerSet.contains(onError) {
            report(workflow.line, "'on_error' names unknown handler '\(onError)'",
                   hint: didYouMean(onError, in: handlerIDs) ?? "declare it under 'handlers'")
        }
        for input in workflow.inputs where input.required && input.defaultValue != nil {
            report(input.line, "input '\(input.name)' is required and has a default; drop one")
        }
        return problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) }
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
        var declared: [String: WorkflowDefinition] = [:]
        for file in files(paths) {
            let text: String
            do {
                text = try YAMLLimits.readText(path: file, what: "workflows file")
            } catch {
                problems.append(error)
                continue
            }
            let before = parser.errors.count
            let parsed = parser.parse(text, file: file)
            var found = Array(parser.errors[before...])
            // Workflows with problems are checked too, so one pass reports the whole file.
            for draft in parser.incomplete where draft.file == file {
                found += WorkflowValidator.problems(in: draft)
            }
            for workflow in parsed {
                if let earlier = declared[workflow.name] {
                    found.append(ConfigError(file: file, line: workflow.line, message: "workflow '\(workflow.name)' is declared twice",
                                             hint: "first in \(earlier.file):\(earlier.line)"))
                    continue
                }
                declared[workflow.name] = workflow
                let checked = WorkflowValidator.problems(in: workflow)
                found += checked
                if checked.isEmpty { workflows.append(workflow) }
            }
            problems += found.enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }.map(\.element)
        }
        problems += childProblems(workflows)
        return WorkflowCatalog(workflows: workflows, problems: problems)
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
                                                hint: didYouMean(child, in: Array(byName.keys))))
                }
            }
            // A workflow reachable from itself through child steps would never end. A
            // breadth-first walk visits each workflow once and keeps how it got there.
            var cameFrom: [String: String] = [:]
            var frontier = [workflow.name]
            var cycle: [String]?
            search: while !frontier.isEmpty {
                var next: [String] = []
                for name in frontier {
                    for step in (byName[name]?.steps ?? []) + (byName[name]?.handlers ?? []) {
                        guard let child = step.childWorkflow, byName[child] != nil, cameFrom[child] == nil else { continue }
                        cameFrom[child] = name
                        if child == workflow.name {
                            var path = [child]
                            var current = name
                            while current != workflow.name, let parent = cameFrom[current] {
                                path.append(current)
                                current = parent
                            }
                            cycle = [workflow.name] + path.reversed()
                            break search
                        }
                        next.append(child)
                    }
                }
                frontier = next
            }
            if let cycle {
                problems.append(ConfigError(file: workflow.file, line: workflow.line,
                                            message: "workflow '\(workflow.name)' runs itself through child workflows: \(cycle.joined(separator: " → "))"))
            }
        }
        return problems
    }

    /// The workflow files `paths` name: each file itself, and each directory's `.yaml` and `.yml`
    /// files in name order (what `load` reads, and what the orchestrator watches for changes).
    public static func files(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else { return [path] }
            // An unreadable directory yields its path itself: loading it then reports why.
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [path] }
            return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(path)/\($0)" }
        }
    }
}

import Foundation
