import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Logging
@testable import ColonyAgent

/// A broker on its own thread, on free loopback ports, with fast heartbeats.
/// `liveness`: missed 100 ms heartbeats before the broker drops an agent; tests whose assertions
/// do not involve losing agents use more, so a machine loaded by parallel suites cannot drop one.
func startTestBroker(liveness: Int = MDP.defaultLiveness) throws -> BrokerHandle {
    var logger = Logger(label: "broker")
    logger.logLevel = .critical
    var configuration = BrokerConfiguration(
        endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"),
        heartbeatInterval: .milliseconds(100), liveness: liveness
    )
    configuration.gateRecovery = .zero
    return try Broker.start(configuration, logger: logger)
}

/// Options for an in-process agent of a test: quiet, fast heartbeats, no signal handling.
/// `liveness`: missed 100 ms heartbeats before the agent gives the broker up and reconnects.
func testAgentOptions(_ endpoints: BrokerEndpoints, liveness: Int = MDP.defaultLiveness) -> AgentOptions {
    var logger = Logger(label: "agent")
    logger.logLevel = .critical
    return AgentOptions(endpoints: endpoints, heartbeatInterval: .milliseconds(100), liveness: liveness, shutdownGrace: .milliseconds(500),
                        handlesSignals: false, logger: logger)
}
