import ColonyCore
import ArgumentParser
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import Foundation

extension WorkflowCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's steps, attempts, timings, errors and outputs.")

        @Argument(help: "The run's id.") var run: String
        @Flag(help: "Also print every transition.") var transitions = false
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        /// Instances of fanned-out steps (`ID[0]`, `ID[1]` …) grouped under their step, in order.
        static func fannedOut(_ steps: [StepRecord]) -> [(String, [StepRecord])] {
            let instances = steps.filter { $0.stepID.rawValue.hasSuffix("]") && $0.stepID.rawValue.contains("[") }
            let grouped = Dictionary(grouping: instances) { String($0.stepID.rawValue.prefix { $0 != "[" }) }
            return grouped.keys.sorted().map { ($0, grouped[$0]!) }
        }

        func run() async throws {
            let detail = try await askOrchestrator(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: RunID(run)),
                                                   as: OrchestratorAPI.RunDetail.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(detail))
                return
            }
            let record = detail.run
            Console.line("run       \(record.id)")
            Console.line("workflow  \(record.workflow) (version \(record.version.map(String.init) ?? "-"))")
            if let parent = record.parentRunID { Console.line("parent    \(parent) (step \(record.parentStepID ?? "-"))") }
            if let retried = record.retryOf { Console.line("retry of  \(retried)") }
            for retry in detail.retries ?? [] { Console.line("retried   as \(retry.id) (\(retry.status.rawValue))") }
            Console.line("status    \(record.status.rawValue)\(record.errorCode.map { " — \($0): \(record.errorMessage ?? "")" } ?? "")")
            Console.line("input     \(record.input.jsonText)")
            Console.line("created   \(record.createdAt.timestamp)")
            if let started = record.startedAt { Console.line("started   \(started.timestamp)") }
            if let finished = record.finishedAt { Console.line("finished  \(finished.timestamp)\(record.duration.map { String(format: " (%.3fs)", $0) } ?? "")") }
            if let output = record.output { Console.line("output    \(output.jsonText)") }
            Console.line("")
            var table = Table("STEP", "STATUS", "ATTEMPT", "AGENT", "TOOK", "OUTPUT / ERROR")
            for attempt in detail.attempts {
                let took = attempt.finishedAt.map { String(format: "%.3fs", $0.timeIntervalSince(attempt.startedAt)) } ?? "-"
                let result = attempt.errorCode.map { "\($0): \(attempt.errorMessage ?? "")" } ?? attempt.output?.jsonText ?? ""
                table.add(attempt.stepID.rawValue, attempt.status.rawValue, "\(attempt.attempt)", attempt.agent ?? attempt.instance.map { "@\($0)" } ?? "-", took, result)
            }
            for step in detail.steps where step.attempts == 0 {
                let why = detail.transitions.last { $0.stepID == step.stepID }?.detail ?? ""
                table.add(step.stepID.rawValue, step.status.rawValue, "-", "-", "-", why)
            }
            Console.line(table.rendered)
            for (parent, instances) in Self.fannedOut(detail.steps) {
                let counts = Dictionary(grouping: instances, by: \.status.rawValue).map { "\($0.value.count) \($0.key)" }.sorted()
                Console.line("for_each  \(parent): \(instances.count) instances — \(counts.joined(separator: ", "))")
            }
            for reason in detail.waiting { Console.line("waiting: \(reason)") }
            if !detail.children.isEmpty {
                Console.line("")
                Console.line("child runs:")
                for child in detail.children {
                    Console.line("  └ \(child.id)  \(child.workflow)  \(child.status.rawValue)  (step \(child.parentStepID ?? "-"))")
                }
            }
            if !detail.skipped.isEmpty {
                Console.line("")
                Console.line("skipped by agents' failure gates (\(detail.skipped.count)):")
                var skips = Table("AT", "AGENT", "HANDLER", "RUN WAS", "REASON")
                for skip in detail.skipped {
                    skips.add(skip.at.timestamp, skip.agent, skip.handler, skip.status.rawValue, skip.reason)
                }
                Console.line(skips.rendered)
            }
            if transitions {
                Console.line("")
                for transition in detail.transitions { Console.line(describe(transition)) }
            }
        }
    }
}
