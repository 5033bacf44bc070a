import Foundation
import Testing
import ZeroMQ

@testable import ColonyBroker

/// The ticker that wakes an idle routing loop: its ticks reach a ROUTER over inproc and are told
/// apart from any peer's message, and no more than one waits unread, however long the loop
/// does not read.
@Suite struct RoutingTickerTests {
    @Test func oneTickWaitsAtATimeAndOnlyTheTickersIdIsATick() throws {
        let router = try Socket(.router)
        let endpoint = "inproc://routing-ticker-test-\(UUID().uuidString)"
        try router.bind(endpoint)
        let ticker = try RoutingTicker.start(connectingTo: endpoint, every: .milliseconds(1))
        defer { ticker.stop() }
        let message = ReceivedMessage()

        #expect(try receive(into: message, from: router))
        #expect(ticker.isTick(message.parts))
        // Not taken: a hundred intervals later there is still only the one.
        Thread.sleep(forTimeInterval: 0.1)
        #expect(try !router.receiveMessage(into: message))
        ticker.taken()
        #expect(try receive(into: message, from: router))
        #expect(ticker.isTick(message.parts))

        // A peer whose id has the tick's length and prefix but other bytes is a peer.
        let peer = try Socket(.dealer)
        try peer.setRoutingID(Array(ticker.id.dropLast()) + [ticker.id.last! &+ 1])
        try peer.connect(endpoint)
        #expect(try peer.sendEmptyFrame(wait: true))
        var sawPeer = false
        for _ in 0..<3 where !sawPeer {
            #expect(try receive(into: message, from: router))
            if ticker.isTick(message.parts) { ticker.taken() } else { sawPeer = true }
        }
        #expect(sawPeer)
    }

    /// Waits up to 10 s for a message: the ticker's thread may be slow to be scheduled.
    private func receive(into message: ReceivedMessage, from router: Socket) throws -> Bool {
        for _ in 0..<1_000 {
            if try router.receiveMessage(into: message) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}
