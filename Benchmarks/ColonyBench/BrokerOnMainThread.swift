import ColonyBroker
import ColonyWire
import Foundation
import Logging

/// `ColonyBench broker ENDPOINT`: the broker's routing loop on the process's main thread, with
/// no Swift concurrency, no signal thread and no security, until the process is killed. It is
/// what `scripts/bench-broker-instructions` runs under callgrind: valgrind 3.19 cannot run an
/// async `main` (it dies in libdispatch's signal thread), and `colony broker` has one.
enum BrokerOnMainThread {
    static func run(endpoint: String) throws {
        let configuration = BrokerConfiguration(
            endpoints: BrokerEndpoints(requests: endpoint, publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"))
        let broker = try Broker(configuration, logger: Logger(label: "broker"))
        FileHandle.standardOutput.write(Data("bound \(broker.boundEndpoints.requests)\n".utf8))
        broker.run()
    }
}
