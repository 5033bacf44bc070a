import ArgumentParser
import ColonyAgent
import ColonyCore
import ColonyOrchestrator
import ColonyStore
import Foundation

/// `colony trigger …`: the workflows that events start, and what each event came to.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Event-triggered workflows (trigger: in a workflow) and their firings.",
        subcommands: [List.self, Log.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each workflow's trigger: its event, condition, dedupe key and firings by outcome.")
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let reply = try await askOrchestrator(TriggerAPI.list, Empty(), as: TriggerAPI.ListReply.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply.triggers))
                return
            }
            guard !reply.triggers.isEmpty else {
                Console.line("no workflow has a trigger (add trigger: {event: TOPIC} to one)")
                return
            }
            var table = Table("WORKFLOW", "EVENT", "WHEN", "DEDUPE", "STARTED", "FILTERED", "DUPLICATE", "REFUSED", "LAST")
            for trigger in reply.triggers {
                let count = { (outcome: FiringOutcome) in "\(trigger.counts[outcome.rawValue] ?? 0)" }
                table.add(trigger.workflow + (trigger.enabled ? "" : " (disabled)"), trigger.event, trigger.when ?? "-", trigger.dedupe ?? "-",
                          count(.started), count(.filtered), count(.duplicate), count(.refused),
                          trigger.last.map { "\($0.at.timestamp) \($0.outcome.rawValue)" } ?? "-")
            }
            Console.line(table.rendered)
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent firings, newest first: the event's topic, what it came to, why, and its run.")
        @Argument(help: "Only this workflow's trigger.") var workflow: String?
        @Option(help: "At most this many firings (1 to 1000).") var limit: Int = 20
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000, not \(limit)") }
        }

        func run() async throws {
            let reply = try await askOrchestrator(TriggerAPI.log, TriggerAPI.LogRequest(workflow: workflow, limit: limit), as: TriggerAPI.LogReply.self,
                                                  global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply.firings))
                return
            }
            guard !reply.firings.isEmpty else {
                Console.line("no firings yet")
                return
            }
            var table = Table("AT", "WORKFLOW", "TOPIC", "OUTCOME", "RUN", "WHY")
            for firing in reply.firings {
                table.add(firing.at.timestamp, firing.workflow, firing.topic, firing.outcome.rawValue, firing.runID?.rawValue ?? "-", firing.reason ?? "")
            }
            Console.line(table.rendered)
        }
    }
}
