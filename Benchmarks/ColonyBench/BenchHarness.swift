import ColonyAgent
import ColonyBroker
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

/// An in-process broker and no-op agent (`noop`, capacity 512) on a random port, and a client.
struct BenchHarness {
    let endpoints: BrokerEndpoints
    let broker: BrokerHandle
    let client: ColonyClient
    let agent: Task<Void, any Error>

    /// `security`: a broker guard and the credentials of the agent and of the client (CURVE),
    /// or nil for an unsecured bus.
    static func start(security: (guard: BrokerGuard, agent: Credentials, client: Credentials)? = nil) async throws -> BenchHarness {
        let port = Int.random(in: 30_000...40_000)
        let endpoints = BrokerEndpoints(requests: "tcp://127.0.0.1:\(port)")
        var configuration = BrokerConfiguration()
        configuration.endpoints = endpoints
        let broker = try Broker.start(configuration, guard: security?.guard, logger: Logger(label: "broker"))
        var noop = Agent(name: "noop", concurrency: 512)
        noop.rawCapability("noop") { body, _ in body }
        var agentOptions = AgentOptions(endpoints: endpoints, handlesSignals: false)
        agentOptions.handlersOnIOThread = true
        agentOptions.credentials = security?.agent
        let agent = Task { [agentOptions] in try await noop.run(options: agentOptions) }
        let client = ColonyClient(endpoints: endpoints, credentials: security?.client)
        while (try? await client.management(ManagementService.service, argument: "noop").text) != "200" {
            try await Task.sleep(for: .milliseconds(20))
        }
        // As an orchestrator does once it re-announced the runs that ended: else the broker holds
        // requests of runs for its gate recovery (3 s after it started).
        _ = try await client.management(ManagementService.gateSynced, timeout: .seconds(5))
        return BenchHarness(endpoints: endpoints, broker: broker, client: client, agent: agent)
    }

    func stop() {
        agent.cancel()
        broker.stop()
    }
}

/// Parses one workflow definition.
func definition(_ yaml: String) -> WorkflowDefinition {
    var parser = WorkflowParser()
    let parsed = parser.parse(yaml, file: "benchmark")
    precondition(parser.errors.isEmpty, "\(parser.errors)")
    return parsed[0]
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `label min … p50 … p90 … p99 … max …` (scripts/bench-all reads these lines).
func distribution(_ label: String, _ values: [Double]) -> String {
    label + String(format: " min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f", values.min() ?? 0, percentile(values, 0.5),
                   percentile(values, 0.9), percentile(values, 0.99), values.max() ?? 0)
}

/// The value below which `fraction` of `values` lie.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory(_ prefix: String) -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}
