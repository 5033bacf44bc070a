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
            discussion: "Exit codes: 0 valid, 2 problems found (each printed as file:line: message)."
        )

        @Argument(help: "Files or directories (default: configs/workflows.yaml and configs/workflows/).")
        var paths: [String] = []

        @Flag(help: "Print the result as JSON.") var json = false

        struct Report: Encodable {
            var valid: Bool
            var workflows: [String]
            var problems: [String]
        }

        func run() async throws {
            let requested = paths.isEmpty ? WorkflowCatalog.defaultPaths : paths
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                Console.error("error: \(path): no such file or directory")
                throw ExitCode(ExitStatus.usage)
            }
            let catalog = WorkflowCatalog.load(requested)
            if json {
                Console.line(prettyJSON(Report(valid: catalog.problems.isEmpty, workflows: catalog.workflows.map(\.name), problems: catalog.problems.map(\.description))))
            } else {
                for problem in catalog.problems { Console.line(problem.description) }
                if catalog.problems.isEmpty {
                    Console.line("ok: \(catalog.workflows.count) workflows valid (\(catalog.workflows.map(\.name).joined(separator: ", ")))")
                } else {
                    Console.line("\(catalog.problems.count) problem\(catalog.problems.count == 1 ? "" : "s") found")
                }
            }
            if !catalog.problems.isEmpty { throw ExitCode(ExitStatus.usage) }
        }
    }
}
