import ArgumentParser
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyWorkflow
import ColonyYAML
import Foundation
import ColonyCore

extension WorkflowCommand {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent runs, newest first.")

        @Argument(help: "Only runs of this workflow.") var name: String?
        @Option(help: "Only runs with this status: pending, running, paused, completed, failed, cancelled.") var status: RunStatus?
        @Option(help: "Only runs with this label, NAME=VALUE (repeatable: all must match).") var tag: [String] = []
        @Option(help: "Only runs created within this long (e.g. 30m, 2h, 1d).", transform: DurationOption.parse) var since: DurationOption?
        @Option(help: "At most this many runs.") var limit: Int = 20
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let sinceDate = since.map { Date().addingTimeInterval(-$0.duration.seconds) }
            let reply = try await askOrchestrator(OrchestratorAPI.history,
                                                  OrchestratorAPI.HistoryRequest(workflow: name, status: status, since: sinceDate, limit: limit,
                                                                                 tags: tag.isEmpty ? nil : try parsedTags(tag)),
                                                  as: OrchestratorAPI.HistoryReply.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply.runs))
                return
            }
            var table = Table("RUN", "WORKFLOW", "STATUS", "CREATED", "TOOK", "ERROR")
            for run in reply.runs {
                table.add(run.id.rawValue, run.workflow, run.status.rawValue, run.createdAt.timestamp,
                          run.duration.map { String(format: "%.3fs", $0) } ?? "-",
                          run.errorCode.map { "\($0): \(run.errorMessage ?? "")" } ?? "")
            }
            Console.line(table.rendered)
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs of a workflow: outcomes, success rate, durations, common failures.")

        @Argument(help: "The workflow's name.") var name: String
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let stats = try await askOrchestrator(OrchestratorAPI.stats, OrchestratorAPI.StatsRequest(workflow: name),
                                                  as: WorkflowStatistics.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(stats))
                return
            }
            func seconds(_ value: Double?) -> String { value.map { String(format: "%.3fs", $0) } ?? "-" }
            Console.line("workflow      \(stats.workflow)")
            Console.line("runs          \(stats.runs) (\(stats.running) in progress)")
            Console.line("completed     \(stats.completed)")
            Console.line("failed        \(stats.failed)")
            Console.line("cancelled     \(stats.cancelled)")
            Console.line("success rate  \(stats.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-")")
            Console.line("duration      p50 \(seconds(stats.p50DurationSeconds))  p95 \(seconds(stats.p95DurationSeconds))")
            if !stats.topFailures.isEmpty {
                Console.line("failures      " + stats.topFailures.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))
            }
        }
    }

    /// What `cancel`, `pause` and `resume` take: a run and why; they print the run afterwards.
    struct RunChange: ParsableArguments {
        @Argument(help: "The run's id.") var run: String
        @Option(help: "Why (recorded with the run; a cancel's reason also goes to agents).") var reason: String?
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        /// Asks the orchestrator for the change and prints the run as it is afterwards.
        func send(_ capability: String) async throws {
            let record = try await askOrchestrator(capability, OrchestratorAPI.RunReference(run: RunID(run), reason: reason),
                                                   as: RunRecord.self, global: global, connection: connection)
            Console.line(json ? prettyJSON(record) : "\(record.id) \(record.status.rawValue)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a run: nothing more is dispatched, and agents are told to stop working on it."
        )
        @OptionGroup var change: RunChange

        func run() async throws { try await change.send(OrchestratorAPI.cancel) }
    }

    /// `colony workflow pause RUN`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pause a run: nothing new is dispatched (attempts in flight finish, retry timers hold) until it is resumed.",
            discussion: "Timeouts keep counting while a run is paused. Exit 1 when the run is not running."
        )
        @OptionGroup var change: RunChange

        func run() async throws { try await change.send(OrchestratorAPI.pause) }
    }

    /// `colony workflow resume RUN`.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a paused run: what the pause held back goes out now.",
            discussion: "Exit 1 when the run is not paused."
        )
        @OptionGroup var change: RunChange

        func run() async throws { try await change.send(OrchestratorAPI.resume) }
    }
}

extension RunStatus: ExpressibleByArgument {}
