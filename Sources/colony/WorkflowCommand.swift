import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyWorkflow
import ColonyYAML
import Foundation

/// `colony workflow …`: run workflows through the orchestrator and look at their runs.
struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Run workflows and inspect their runs (through the orchestrator), or validate definitions.",
        subcommands: [List.self, Run.self, Show.self, History.self, Stats.self, Cancel.self, Pause.self, Resume.self, Signal.self, Retry.self, Validate.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The workflows the orchestrator can run, with their current versions.")

        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let reply = try await askOrchestrator(OrchestratorAPI.list, Empty(), as: OrchestratorAPI.ListReply.self,
                                                  global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply))
                return
            }
            var table = Table("WORKFLOW", "VERSION", "ENABLED", "STEPS", "INPUTS", "DESCRIPTION")
            for workflow in reply.workflows {
                table.add(workflow.name, "\(workflow.version)", workflow.enabled ? "yes" : "no", "\(workflow.steps.count)",
                          workflow.inputs.joined(separator: ","), workflow.description ?? "")
            }
            Console.line(table.rendered)
            for problem in reply.problems { Console.error("problem: \(problem)") }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check workflow files: structure, types, the DAG and every reference.",
            discussion: """
            Every problem of every file is printed in one pass, each as file:line: message. Exit 2 when \
            there are problems, or when there is nothing to check. With --live, capabilities no agent on \
            the bus offers are problems too.
            """
        )

        @Argument(help: "Files or directories (default: the workflows of configs/colony.yaml).")
        var paths: [String] = []

        @Flag(help: "Also check each step's capability against the agents connected to the broker.") var live = false
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        struct Report: Encodable {
            var valid: Bool
            var workflows: [String]
            var problems: [String]
        }

        func run() async throws {
            let configuration = try global.loadConfiguration()
            global.bootstrapLogging(configuration, defaultLevel: .warning)
            let requested = paths.isEmpty ? configuration.orchestrator.workflows : paths
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                Console.error("error: \(path): no such file or directory")
                throw ExitCode(ExitStatus.usage)
            }
            let catalog = WorkflowCatalog.load(requested)
            var problems = catalog.problems.map(\.description)
            if catalog.workflows.isEmpty, catalog.problems.isEmpty {
                Console.error("error: no workflows found in \(requested.joined(separator: ", ")); give files or directories to check")
                throw ExitCode(ExitStatus.usage)
            }
            if live {
                let directory = try await fetchDirectory(global: global, connection: connection, timeout: .seconds(5))
                problems += Self.unoffered(catalog.workflows, offered: directory.capabilities.filter { $0.agents > 0 }.map(\.name))
            }
            if json {
                Console.line(prettyJSON(Report(valid: problems.isEmpty, workflows: catalog.workflows.map(\.name), problems: problems)))
            } else {
                for problem in problems { Console.line(problem) }
                if problems.isEmpty {
                    Console.line("ok: \(catalog.workflows.count) workflow\(catalog.workflows.count == 1 ? "" : "s") valid (\(catalog.workflows.map(\.name).joined(separator: ", ")))")
                } else {
                    Console.line("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
                }
            }
            if !problems.isEmpty { throw ExitCode(ExitStatus.usage) }
        }

        /// Steps whose capability no connected agent offers, with the nearest offered name.
        static func unoffered(_ workflows: [WorkflowDefinition], offered: [String]) -> [String] {
            let known = Set(offered)
            return workflows.flatMap { workflow in
                (workflow.steps + workflow.handlers).compactMap { step -> String? in
                    guard step.waitFor == nil, step.childWorkflow == nil, !step.capability.hasPrefix("colony."), !known.contains(step.capability) else { return nil }
                    let hint = didYouMean(step.capability, in: offered).map { " (\($0))" } ?? ""
                    return "\(workflow.file):\(step.line): workflow '\(workflow.name)': step '\(step.id)' asks for '\(step.capability)', which no connected agent offers\(hint)"
                }
            }
        }
    }
}
