import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyWire
import Foundation

/// Asks a Colony service on the bus and decodes its answer; failures become a message on
/// standard error and the matching exit code. `service` names what should be answering
/// (with how to start it), for the message when nothing does; error codes in `usageCodes`
/// mean the request itself was wrong (exit 2).
func ask<Input: Encodable & Sendable, Output: Decodable & Sendable>(
    _ capability: String, _ input: Input, as output: Output.Type = Output.self, service: String, usageCodes: [String] = [],
    global: GlobalOptions, connection: ConnectionOptions, timeout: Duration = .seconds(10)
) async throws -> Output {
    let configuration = try global.loadConfiguration()
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration))
    do {
        return try await client.request(capability, input, as: Output.self, timeout: timeout)
    } catch .noAgent {
        Console.error("error: no \(service) is running at \(client.endpoints.requests)")
        throw ExitCode(ExitStatus.noAgent)
    } catch .failed(let error) where usageCodes.contains(error.code.rawValue) {
        Console.error("error: \(error.message)")
        throw ExitCode(ExitStatus.usage)
    } catch {
        throw report(error)
    }
}

/// Asks the orchestrator (`colony.workflow.*`, `colony.schedule.*`, …).
func askOrchestrator<Input: Encodable & Sendable, Output: Decodable & Sendable>(
    _ capability: String, _ input: Input, as output: Output.Type = Output.self,
    global: GlobalOptions, connection: ConnectionOptions, timeout: Duration = .seconds(10)
) async throws -> Output {
    try await ask(capability, input, as: output, service: "orchestrator (start `colony up` or `colony orchestrator`)",
                  usageCodes: [OrchestratorAPI.Codes.unknownWorkflow, OrchestratorAPI.Codes.invalidInput, OrchestratorAPI.Codes.unknownRun,
                               OrchestratorAPI.Codes.disabled, OrchestratorAPI.Codes.unknownSignal, OrchestratorAPI.Codes.signalNotAwaited,
                               OrchestratorAPI.Codes.alreadyFinished, OrchestratorAPI.Codes.notRunning, OrchestratorAPI.Codes.notPaused,
                               OrchestratorAPI.Codes.notFinished, OrchestratorAPI.Codes.unknownStep, OrchestratorAPI.Codes.nothingToRetry, OrchestratorAPI.Codes.runExists, ScheduleAPI.Codes.unknownSchedule, ScheduleAPI.Codes.invalidSchedule],
                  global: global, connection: connection, timeout: timeout)
}
