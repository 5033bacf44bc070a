import ColonyAgent
import Foundation

/// The control plane's way onto the bus: requests to the orchestrator's `colony.*`
/// capabilities and the broker's `mmi.*`, with failures as API errors. Whichever orchestrator
/// holds the lease answers, so a standby's HTTP server serves too.
struct BusGateway: Sendable {
    let client: ColonyClient
    var timeout: Duration = .seconds(10)

    func call<Input: Encodable & Sendable, Output: Decodable & Sendable>(_ capability: String, _ input: Input, as output: Output.Type) async throws(APIError) -> Output {
        do {
            return try await client.request(capability, input, as: Output.self, timeout: timeout)
        } catch {
            throw APIError(error)
        }
    }

    func management<Output: Decodable & Sendable>(_ service: String, argument: String? = nil, as output: Output.Type) async throws(APIError) -> Output {
        do {
            return try await client.management(service, argument: argument, timeout: timeout).decode(Output.self)
        } catch {
            throw APIError(error)
        }
    }
}
