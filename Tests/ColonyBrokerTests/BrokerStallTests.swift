import ColonyBroker
import ColonyCore
import ColonyTestSupport
import ColonyWire
import Foundation
import Logging
import Synchronization
import Testing
import ZeroMQ

/// A broker whose routing thread did not run for longer than its agent expiry judges its
/// agents on the time it ran: what they sent meanwhile waited unread in its socket.
@Suite struct BrokerStallTests {
    /// Holds the routing thread inside a log write, as a full pipe on standard error would, from
    /// the moment the broker logs that an agent offering `capability` joined until `stall` has
    /// passed (on the clock, however long that takes).
    struct StallingLogHandler: LogHandler {
        /// Set once the routing thread is held.
        final class Started: Sendable {
            private let flag = Atomic<Bool>(false)
            var isSet: Bool { flag.load(ordering: .acquiring) }
            func set() { flag.store(true, ordering: .releasing) }
        }

        let capability: String
        let stall: Duration
        let started = Started()
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.message.description == "agent joined", event.metadata?["capabilities"]?.description == capability else { return }
            started.set()
            let end = MonotonicTime.now() + stall
            while MonotonicTime.now() < end { Thread.sleep(forTimeInterval: 0.01) }
        }
    }

    /// Two agents heartbeat while the broker is held for a second longer than its 3 s agent
    /// expiry; once it runs again, each still gets a request for its capability (a broker that
    /// judged them on the clock would drop all but the one whose message it read first), and
    /// `mmi.stats` counts the stall (a loaded machine may add more).
    @Test func aBrokerThatDidNotRunPastTheAgentExpiryKeepsTheAgentsItCouldNotHear() async throws {
        let handler = StallingLogHandler(capability: "b", stall: .seconds(4))
        let broker = try RunningBroker(heartbeat: .milliseconds(100), liveness: 30, logger: Logger(label: "test-broker") { _ in handler })
        let a = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try a.send([[], MDP.worker01, [0x01], bytes("a")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("a"))
        let b = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try b.send([[], MDP.worker01, [0x01], bytes("b")])
        let deadline = MonotonicTime.now() + .generous
        while !handler.started.isSet, MonotonicTime.now() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(handler.started.isSet, "the broker logged that b joined")
        for worker in [a, b] { try worker.send([[], MDP.worker01, [0x04]]) }
        for (name, worker) in [("a", a), ("b", b)] {
            try client.send([MDP.client02, [0x01], bytes(name), bytes("job")])
            let request = try #require(try await worker.receiveSkippingHeartbeats(), "\(name) hears from the broker")
            #expect(request[2] == [0x02], "\(name) gets the request, not DISCONNECT")
            guard request[2] == [0x02] else { continue }
            try worker.send([[], MDP.worker01, [0x03], request[3], [], bytes("done by \(name)")])
            #expect(try await client.receive()?.last == bytes("done by \(name)"))
        }
        try client.send([MDP.client02, [0x01], bytes("mmi.stats")])
        let statistics = try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive()).last!))
        #expect(statistics.routingStalls >= 1, "the stall is counted")
        #expect(statistics.agentsLost == 0)
    }
}
