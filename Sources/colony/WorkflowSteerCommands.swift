import ArgumentParser
import ColonyAgent
import ColonyCore
import ColonyOrchestrator
import ColonyStore
import Foundation

extension WorkflowCommand {
    /// `colony workflow signal RUN NAME [--data JSON]`: what a `wait_for` step waits for.
    struct Signal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a signal to a run: the step waiting for it (wait_for) succeeds with the data as its output.",
            discussion: """
            A signal sent before its step is reached is kept for it. Refused with exit 2 when no step of the \
            run's workflow waits for that name; with exit 1 when every step waiting for it is done or the run has ended.
            """
        )

        @Argument(help: "The run's id.") var run: String
        @Argument(help: "The signal's name, as in the step's wait_for.") var name: String
        @Option(help: "The signal's data as JSON (the waiting step's output), e.g. '{\"ok\": true}'.") var data: String?
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var value: JSONValue?
            if let data {
                value = try JSONDecoder().decode(JSONValue.self, from: Data(try validatedJSON(data, what: "--data")))
            }
            let receipt = try await askOrchestrator(OrchestratorAPI.signal, OrchestratorAPI.SignalRequest(run: RunID(run), signal: name, data: value),
                                                    as: OrchestratorAPI.SignalReceipt.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(receipt))
            } else if let step = receipt.step {
                Console.line("\(receipt.run): signal '\(receipt.signal)' taken by step '\(step)'")
            } else {
                Console.line("\(receipt.run): signal '\(receipt.signal)' kept until a step waiting for it is reached")
            }
        }
    }
}

extension WorkflowCommand {
    /// `colony workflow retry RUN [--from STEP…] [--input JSON] [--latest]`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retry an ended run as a new run linked to it: what succeeded and is not downstream of --from keeps its output and does not run again.",
            discussion: """
            Without --from, the steps that did not succeed run again, with everything downstream of them. \
            The new run uses the old run's workflow version unless --latest, and the old input unless --input. Exit 2 when \
            a --from step does not exist; exit 1 when the run has not ended or nothing would run again.
            """
        )

        @Argument(help: "The run's id.") var run: String
        @Option(help: "A step to run again, with everything downstream of it (repeatable).") var from: [String] = []
        @Option(help: "A new input as a JSON object, replacing the old run's.") var input: String?
        @Flag(help: "Run the workflow's latest version instead of the old run's.") var latest = false
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var value: JSONValue?
            if let input {
                value = try JSONDecoder().decode(JSONValue.self, from: Data(try validatedJSON(input, what: "--input")))
            }
            let request = OrchestratorAPI.RetryRequest(run: RunID(run), from: from.isEmpty ? nil : from.map { StepID($0) }, input: value, latest: latest)
            let record = try await askOrchestrator(OrchestratorAPI.retry, request, as: RunRecord.self, global: global, connection: connection)
            Console.line(json ? prettyJSON(record) : "\(record.id) retries \(run) (\(record.workflow), version \(record.version.map(String.init) ?? "-"))")
        }
    }
}
