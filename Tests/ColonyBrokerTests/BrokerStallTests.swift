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
    /// passed (on the clock, however long that takes) and the test has released it.
    struct StallingLogHandler: LogHandler {
        /// A flag set once, from any thread.
        final class Flag: Sendable {
            private let flag = Atomic<Bool>(false)
            var isSet: Bool { flag.load(ordering: .acquiring) }
            func set() { flag.store(true, ordering: .releasing) }
        }

        let capability: String
        let stall: Duration
        /// Set once the routing thread is held.
        let started = Flag()
        /// Set by the test once it has sent what must wait for the broker.
        let released = Flag()
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.message.description == "agent joined", event.metadata?["capabilities"]?.description == capability else { return }
            started.set()
            let start = MonotonicTime.now()
            let end = start + stall
            // Released by the test, or by the bound a failing test gets.
            let giveUp = start + .generous
            while MonotonicTime.now() < end || (!released.isSet && MonotonicTime.now() < giveUp) {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// Two agents heartbeat, and a client asks each for work, while the broker is held for a
    /// second longer than its 10 s agent expiry; once it runs again, each agent gets its
    /// request and its answer reaches the client (a broker that judged them on the clock would
    /// drop all but the one whose message it read first), and `mmi.stats` counts the stall (a
    /// loaded machine may add more). Everything the broker must read after the stall is sent
    /// during it, and the expiry is long, so a test process held up for seconds by a loaded
    /// machine still sees the same outcome.
    @Test func aBrokerThatDidNotRunPastTheAgentExpiryKeepsTheAgentsItCouldNotHear() async throws {
        let handler = StallingLogHandler(capability: "b", stall: .seconds(11))
        let broker = try RunningBroker(heartbeat: .milliseconds(100), liveness: 100, logger: Logger(label: "test-broker") { _ in handler })
        let a = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try a.send([[], MDP.worker01, [0x01], bytes("a")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("a"))
        try a.send([[], MDP.worker01, [0x04]])
        let b = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try b.send([[], MDP.worker01, [0x01], bytes("b")])
        let deadline = MonotonicTime.now() + .generous
        while !handler.started.isSet, MonotonicTime.now() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(handler.started.isSet, "the broker logged that b joined")
        for worker in [a, b] { try worker.send([[], MDP.worker01, [0x04]]) }
        for name in ["a", "b"] { try client.send([MDP.client02, [0x01], bytes(name), bytes("job")]) }
        handler.released.set()
        for (name, worker) in [("a", a), ("b", b)] {
            let request = try #require(try await worker.receiveSkippingHeartbeats(), "\(name) hears from the broker")
            #expect(request[2] == [0x02], "\(name) gets the request, not DISCONNECT")
            guard request[2] == [0x02] else { continue }
            try worker.send([[], MDP.worker01, [0x03], request[3], [], bytes("done by \(name)")])
        }
        let answers = [try await client.receive()?.last, try await client.receive()?.last].compactMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
        #expect(answers.sorted() == ["done by a", "done by b"])
        try client.send([MDP.client02, [0x01], bytes("mmi.stats")])
        let statistics = try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive()).last!))
        #expect(statistics.routingStalls >= 1, "the stall is counted")
        #expect(statistics.agentsLost == 0)
    }
}
