import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Logging
@testable import ColonyAgent

/// No test here is about losing agents: broker and agents tolerate 60 s of silence (600 missed
/// 100 ms heartbeats), so a machine loaded by parallel suites drops nobody mid-test.
let testLiveness = 600

/// A broker on its own thread, on free loopback ports, with fast heartbeats.
func startTestBroker() throws -> BrokerHandle {
    var logger = Logger(label: "broker")
    logger.logLevel = .critical
    var configuration = BrokerConfiguration(
        endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"),
        heartbeatInterval: .milliseconds(100), liveness: testLiveness
    )
    configuration.gateRecovery = .zero
    return try Broker.start(configuration, logger: logger)
}

/// Options for an in-process agent of a test: quiet, fast heartbeats, no signal handling.
func testAgentOptions(_ endpoints: BrokerEndpoints) -> AgentOptions {
    var logger = Logger(label: "agent")
    logger.logLevel = .critical
    return AgentOptions(endpoints: endpoints, heartbeatInterval: .milliseconds(100), liveness: testLiveness, shutdownGrace: .milliseconds(500),
                        handlesSignals: false, logger: logger)
}
