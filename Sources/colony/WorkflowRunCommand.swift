import ColonyCore
import ArgumentParser
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

extension WorkflowCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a run of a workflow; with --wait, follow its steps until it ends.",
            discussion: "Exit codes: 0 started (or completed with --wait), 1 the run failed or was cancelled, 2 unknown workflow or bad input, 3 no orchestrator."
        )

        @Argument(help: "The workflow's name.") var name: String
        @Option(help: "The run's input as a JSON object.") var input: String?
        @Option(help: "Queue priority (higher first).") var priority: Int?
        @Option(help: "The run's id (letters, digits, '_', '-', ':'): submitting again with the same id returns that run instead of starting another.")
        var id: String?
        @Option(help: "A label to find the run by, NAME=VALUE (repeatable): colony workflow history --tag NAME=VALUE.") var tag: [String] = []
        @Flag(help: "Wait for the run to end, printing each step transition.") var wait = false
        @Option(help: "With --wait: give up waiting after this long, e.g. 10m (the run goes on).", transform: DurationOption.parse) var timeout: DurationOption?
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            _ = try parsedTags(tag)
            if let id, let problem = RunKey.problem(in: id) { throw ValidationError("--id: \(problem)") }
        }

        func run() async throws {
            var inputValue: JSONValue?
            if let input {
                let bytes = try validatedJSON(input, what: "--input")
                inputValue = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            }
            let request = OrchestratorAPI.RunRequest(workflow: name, input: inputValue, priority: priority, id: id.map { RunID($0) },
                                                     tags: tag.isEmpty ? nil : try parsedTags(tag))
            let started = try await askOrchestrator(OrchestratorAPI.run, request, as: OrchestratorAPI.StartedRun.self, global: global, connection: connection)
            let run = started.run
            guard wait else {
                let existing = started.existing ? " (submitted before: this is the run it started)" : ""
                Console.line(json ? prettyJSON(started) : "\(run.id)  \(run.workflow) (version \(run.version.map(String.init) ?? "-")) \(run.status.rawValue)\(existing)")
                return
            }
            if !json { Console.line("run \(run.id)  \(run.workflow) (version \(run.version.map(String.init) ?? "-"))") }
            let final = try await follow(run.id, printing: !json)
            if json {
                let detail = try await askOrchestrator(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: run.id),
                                                       as: OrchestratorAPI.RunDetail.self, global: global, connection: connection)
                Console.line(prettyJSON(detail))
            } else {
                Console.line(summary(final))
            }
            if final.status != .completed { throw ExitCode(final.status.isFinal ? ExitStatus.failed : ExitStatus.timeout) }
        }

        /// Prints transitions as they happen until the run ends (or --timeout passes).
        private func follow(_ id: RunID, printing: Bool) async throws -> RunRecord {
            let giveUp = timeout.map { Date().addingTimeInterval($0.duration.seconds) }
            var seen: Int64 = 0
            while true {
                let reply = try await askOrchestrator(OrchestratorAPI.wait, OrchestratorAPI.WaitRequest(run: id, after: seen, timeoutSeconds: 5),
                                                      as: OrchestratorAPI.WaitReply.self, global: global, connection: connection, timeout: .seconds(15))
                for transition in reply.transitions {
                    seen = max(seen, transition.sequence ?? seen)
                    if printing { Console.line(describe(transition)) }
                }
                if reply.run.status.isFinal { return reply.run }
                if let giveUp, Date() >= giveUp {
                    Console.error("still \(reply.run.status.rawValue) after \(timeout!); follow it with `colony workflow show \(id)`")
                    return reply.run
                }
            }
        }

        private func summary(_ run: RunRecord) -> String {
            let took = run.duration.map { String(format: " in %.3fs", $0) } ?? ""
            switch run.status {
            case .completed: return "completed\(took): \(run.output?.jsonText ?? "null")"
            case .failed: return "failed\(took): \(run.errorCode?.rawValue ?? "error"): \(run.errorMessage ?? "")"
            default: return "\(run.status.rawValue)\(took)\(run.errorMessage.map { ": \($0)" } ?? "")"
            }
        }
    }
}

/// `--tag NAME=VALUE` options as a dictionary; a malformed one is a usage error naming it.
func parsedTags(_ options: [String]) throws -> [String: String] {
    var tags: [String: String] = [:]
    for option in options {
        guard let (name, value) = RunTags.parse(option) else { throw ValidationError("--tag must be NAME=VALUE, not '\(option)'") }
        tags[name] = value
    }
    if let problem = RunTags.problem(in: tags) { throw ValidationError("--tag: \(problem)") }
    return tags
}

/// One transition as a line: time, what moved, from where to where, and why.
func describe(_ transition: TransitionRecord) -> String {
    let subject = transition.stepID.map { "step \($0)" } ?? "run"
    let move = transition.from.map { "\($0) → \(transition.to)" } ?? transition.to
    let detail = transition.detail.map { "  (\($0))" } ?? ""
    return "\(transition.at.timestamp)  \(subject.padding(toLength: 20, withPad: " ", startingAt: 0)) \(move)\(detail)"
}
