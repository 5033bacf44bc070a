import ArgumentParser
import ColonyAgent
import ColonyCore
import ColonyOrchestrator
import Foundation

extension WorkflowCommand {
    /// `colony workflow signal RUN NAME [--data JSON]`: what a `wait_for` step waits for.
    struct Signal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a signal to a run: the step waiting for it (wait_for) succeeds with the data as its output.",
            discussion: """
            A signal sent before its step is reached is kept for it. Refused (exit 2) when no step of the \
            run's workflow waits for that name, when every step waiting for it is done, or when the run has ended.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The run's id.") var run: String
        @Argument(help: "The signal's name, as in the step's wait_for.") var name: String
        @Option(help: "The signal's data as JSON (the waiting step's output), e.g. '{\"ok\": true}'.") var data: String?
        @Flag(help: "Print the result as JSON.") var json = false

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
