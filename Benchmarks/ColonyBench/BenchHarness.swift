import ColonyAgent
import ColonyBroker
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

/// A broker and a no-op agent (`noop`, capacity 512) on a port the broker bound, and a client:
/// all in this process, or with `SPLIT=1` the broker and the agent each in a process of its own
/// (`ColonyBench broker`, `ColonyBench agent`), as `colony up` runs them.
struct BenchHarness {
    let endpoints: BrokerEndpoints
    let client: ColonyClient
    private let parts: Parts

    /// What runs the bus, stopped by `stop()`.
    private enum Parts {
        case inProcess(broker: BrokerHandle, agent: Task<Void, any Error>)
        case processes(SplitBus)
    }

    /// `security`: a broker guard and the credentials of the agent and of the client (CURVE),
    /// or nil for an unsecured bus.
    static func start(security: (guard: BrokerGuard, agent: Credentials, client: Credentials)? = nil) async throws -> BenchHarness {
        if security == nil, ProcessInfo.processInfo.environment["SPLIT"] == "1" {
            let bus = try SplitBus.start()
            return try await ready(BenchHarness(endpoints: bus.endpoints, client: ColonyClient(endpoints: bus.endpoints, credentials: nil), parts: .processes(bus)))
        }
        var configuration = BrokerConfiguration()
        configuration.endpoints = BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0")
        let broker = try Broker.start(configuration, guard: security?.guard, logger: Logger(label: "broker"))
        let endpoints = broker.endpoints
        var agentOptions = AgentOptions(endpoints: endpoints, handlesSignals: false)
        agentOptions.handlersOnIOThread = true
        agentOptions.credentials = security?.agent
        let agent = Task { [agentOptions] in try await noopAgent.run(options: agentOptions) }
        let client = ColonyClient(endpoints: endpoints, credentials: security?.client)
        return try await ready(BenchHarness(endpoints: endpoints, client: client, parts: .inProcess(broker: broker, agent: agent)),
                               secured: security != nil)
    }

    /// The agent every benchmark calls: `noop` answers with the body it was given.
    static var noopAgent: Agent {
        var noop = Agent(name: "noop", concurrency: 512)
        noop.rawCapability("noop") { body, _ in body }
        return noop
    }

    /// Returns `harness` once the broker knows the agent and has synced its gate.
    private static func ready(_ harness: BenchHarness, secured: Bool = false) async throws -> BenchHarness {
        while (try? await harness.client.management(ManagementService.service, argument: "noop").text) != "200" {
            try await Task.sleep(for: .milliseconds(20))
        }
        // As an orchestrator does once it re-announced the runs that ended: else the broker holds
        // requests of runs for its gate recovery (3 s after it started). Only an orchestrator
        // may say so on a secured bus, where the benchmark (CurveCost) makes no runs.
        if !secured { _ = try await harness.client.management(ManagementService.gateSynced, timeout: .seconds(5)) }
        return harness
    }

    func stop() {
        switch parts {
        case .inProcess(let broker, let agent):
            agent.cancel()
            broker.stop()
        case .processes(let bus):
            bus.stop()
        }
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
