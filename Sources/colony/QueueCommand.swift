import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import Foundation

/// `colony queue`: what waits, in what order, and why.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Runs waiting to start (priority, age, why), steps waiting for named resources, and who holds each resource."
    )

    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let reply = try await askOrchestrator(ScheduleAPI.queue, Empty(), as: ScheduleAPI.QueueReply.self, global: global, connection: connection)
        if json {
            Console.line(prettyJSON(reply))
            return
        }
        var sections: [String] = []
        if !reply.runs.isEmpty {
            var table = Table("RUN", "WORKFLOW", "PRIORITY", "QUEUED", "WHY IT WAITS")
            for run in reply.runs { table.add(run.run.rawValue, run.workflow, "\(run.priority)", run.createdAt.timestamp, run.reason) }
            sections.append(table.rendered)
        }
        if !reply.steps.isEmpty {
            var table = Table("RUN", "STEP", "PRIORITY", "RESOURCES", "WHY IT WAITS")
            for step in reply.steps {
                table.add(step.run.rawValue, step.step.rawValue, "\(step.priority)", step.resources.joined(separator: ","), step.reason)
            }
            sections.append(table.rendered)
        }
        if let paused = reply.paused, !paused.isEmpty {
            var table = Table("PAUSED RUN", "WORKFLOW", "SINCE", "WHY")
            for run in paused { table.add(run.run.rawValue, run.workflow, run.since.map(\.timestamp) ?? "", run.reason ?? "") }
            sections.append(table.rendered)
        }
        if sections.isEmpty { sections.append("nothing waits") }
        if let resources = reply.resources, !resources.isEmpty {
            var table = Table("RESOURCE", "HELD", "HELD BY")
            for holding in resources {
                table.add(holding.resource, "\(holding.holders.count)/\(holding.capacity)",
                          holding.holders.map { "\($0.run)/\($0.step)" }.joined(separator: ", "))
            }
            sections.append(table.rendered)
        }
        Console.line(sections.joined(separator: "\n\n"))
    }
}
