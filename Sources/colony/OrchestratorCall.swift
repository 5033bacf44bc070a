import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyWire
import Foundation

/// Asks a Colony service on the bus and decodes its answer; failures become a message on
/// standard error and the matching exit code. `service` names what should be answering
/// (with how to start it), for the message when nothing does; error codes in `usageCodes`
/// mean the request itself was wrong (exit 2), those in `refusalCodes` that it does not fit
/// the current state (exit 1).
func ask<Input: Encodable & Sendable, Output: Decodable & Sendable>(
    _ capability: String, _ input: Input, as output: Output.Type = Output.self, service: String,
    usageCodes: Set<String> = [], refusalCodes: Set<String> = [],
    global: GlobalOptions, connection: some BrokerConnection, timeout: Duration = .seconds(10)
) async throws -> Output {
    let configuration = try global.loadConfiguration()
    // Nothing offering the service answers at once (after the broker's first agent expiries), not after a timeout.
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration), credentials: try connection.credentials(configuration), unoffered: .fail)
    do {
        return try await client.request(capability, input, as: Output.self, timeout: timeout)
    } catch .noAgent {
        Console.error("error: no \(service) is running at \(client.endpoints.requests)")
        throw ExitCode(ExitStatus.noAgent)
    } catch .failed(let error) where usageCodes.contains(error.code.rawValue) {
        Console.error("error: \(error.message)")
        throw ExitCode(ExitStatus.usage)
    } catch .failed(let error) where refusalCodes.contains(error.code.rawValue) {
        Console.error("error: \(error.message)")
        throw ExitCode(ExitStatus.failed)
    } catch {
        throw report(error)
    }
}

/// The orchestrator's error codes that mean the request named something wrong (exit 2).
let orchestratorUsageCodes: Set<String> = [
    OrchestratorAPI.Codes.unknownWorkflow, OrchestratorAPI.Codes.invalidInput, OrchestratorAPI.Codes.unknownRun,
    OrchestratorAPI.Codes.unknownSignal, OrchestratorAPI.Codes.unknownStep, ScheduleAPI.Codes.unknownSchedule, ScheduleAPI.Codes.invalidSchedule,
]

/// The orchestrator's error codes that mean the request does not fit the current state (exit 1).
let orchestratorRefusalCodes: Set<String> = [
    OrchestratorAPI.Codes.disabled, OrchestratorAPI.Codes.signalNotAwaited, OrchestratorAPI.Codes.alreadyFinished,
    OrchestratorAPI.Codes.notRunning, OrchestratorAPI.Codes.notPaused, OrchestratorAPI.Codes.notFinished,
    OrchestratorAPI.Codes.nothingToRetry, OrchestratorAPI.Codes.runExists,
]

/// Asks the orchestrator (`colony.workflow.*`, `colony.schedule.*`, …).
func askOrchestrator<Input: Encodable & Sendable, Output: Decodable & Sendable>(
    _ capability: String, _ input: Input, as output: Output.Type = Output.self,
    global: GlobalOptions, connection: some BrokerConnection, timeout: Duration = .seconds(10)
) async throws -> Output {
    try await ask(capability, input, as: output, service: "orchestrator (start `colony up` or `colony orchestrator`)",
                  usageCodes: orchestratorUsageCodes, refusalCodes: orchestratorRefusalCodes,
                  global: global, connection: connection, timeout: timeout)
}
