import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyWire
import Foundation

/// Asks the orchestrator (through the broker) and decodes its answer; failures become a
/// message on standard error and the matching exit code.
func askOrchestrator<Input: Encodable & Sendable, Output: Decodable & Sendable>(
    _ capability: String, _ input: Input, as output: Output.Type = Output.self,
    global: GlobalOptions, connection: ConnectionOptions, timeout: Double = 10
) async throws -> Output {
    let configuration = try global.loadConfiguration()
    let client = ColonyClient(endpoints: connection.clientEndpoints(configuration))
    do {
        return try await client.request(capability, input, as: Output.self, timeout: duration(seconds: timeout))
    } catch .noAgent {
        Console.error("error: no orchestrator is running at \(client.endpoints.requests) (start `colony up` or `colony orchestrator`)")
        throw ExitCode(ExitStatus.noAgent)
    } catch .failed(let error) where [OrchestratorAPI.Codes.unknownWorkflow, OrchestratorAPI.Codes.invalidInput,
                                      OrchestratorAPI.Codes.unknownRun, OrchestratorAPI.Codes.disabled,
                                      ScheduleAPI.Codes.unknownSchedule, ScheduleAPI.Codes.invalidSchedule].contains(error.code.rawValue) {
        Console.error("error: \(error.message)")
        throw ExitCode(ExitStatus.usage)
    } catch {
        throw report(error)
    }
}
