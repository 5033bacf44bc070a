import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import Foundation

/// `colony queue`: what waits, in what order, and why.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Runs waiting to start (priority, age, why) and steps waiting for named resources."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        let reply = try await askOrchestrator(ScheduleAPI.queue, Empty(), as: ScheduleAPI.QueueReply.self, global: global, connection: connection)
        if json {
            Console.line(prettyJSON(reply))
            return
        }
        if reply.runs.isEmpty && reply.steps.isEmpty {
            Console.line("nothing waits")
            return
        }
        if !reply.runs.isEmpty {
            var table = Table("RUN", "WORKFLOW", "PRIORITY", "QUEUED", "WHY IT WAITS")
            for run in reply.runs { table.add(run.run.rawValue, run.workflow, "\(run.priority)", clockTime(run.createdAt), run.reason) }
            Console.line(table.rendered)
        }
        if !reply.steps.isEmpty {
            if !reply.runs.isEmpty { Console.line("") }
            var table = Table("RUN", "STEP", "PRIORITY", "RESOURCES", "WHY IT WAITS")
            for step in reply.steps {
                table.add(step.run.rawValue, step.step.rawValue, "\(step.priority)", step.resources.joined(separator: ","), step.reason)
            }
            Console.line(table.rendered)
        }
    }
}
