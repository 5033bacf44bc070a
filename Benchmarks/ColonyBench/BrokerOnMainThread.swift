import ColonyAccess
import ColonyBroker
import ColonyWire
import Foundation
import Logging

/// `ColonyBench broker ENDPOINT [KEY_DIRECTORY]`: the broker's routing loop on the process's main
/// thread, with no Swift concurrency and no signal thread, until the process is killed; with
/// CURVE and the access list of KEY_DIRECTORY (as `colony keys` made it) when one is given,
/// without security otherwise. It is what `scripts/bench-broker-instructions` runs under
/// callgrind: valgrind 3.19 cannot run an async `main` (it dies in libdispatch's signal
/// thread), and `colony broker` has one.
enum BrokerOnMainThread {
    static func run(endpoint: String, keyDirectory: String?) throws {
        let configuration = BrokerConfiguration(
            endpoints: BrokerEndpoints(requests: endpoint, publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0"))
        let guardian = try keyDirectory.map { try BrokerGuard(keys: KeyDirectory(path: $0), logger: Logger(label: "guard")) }
        let broker = try Broker(configuration, guard: guardian, logger: Logger(label: "broker"))
        let bound = broker.boundEndpoints
        FileHandle.standardOutput.write(Data("bound \(bound.requests) \(bound.publish) \(bound.subscribe)\n".utf8))
        broker.run()
    }
}
