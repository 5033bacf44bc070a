import ColonyBroker
import ColonyCore
import ColonyWire
import Foundation
import Testing
import ZeroMQ

/// Where the broker sends requests that belong somewhere: the instance that had an attempt,
/// and the leader of the newest term.
@Suite(.serialized) struct AffinityTests {
    func header(_ id: UInt64, target: String? = nil, term: UInt64? = nil, preferred: String? = nil) -> [UInt8] {
        var header = ColonyHeader(requestID: id)
        header.targetInstance = target
        if let term {
            header.groups = ["g"]
            header.term = term
        }
        header.preferredInstance = preferred
        return header.encoded()
    }

    func ready(_ worker: Peer, instance: String, capacity: UInt32 = 1) async throws {
        var announce = ColonyHeader(agent: instance, capabilities: ["work"], capacity: capacity)
        announce.instance = instance
        try worker.send([[], MDP.worker02, [0x01], bytes("work"), announce.encoded()])
    }

    /// The next request a worker gets, answering the broker's heartbeats with its own so it
    /// stays alive however long that takes; nil if something else comes (a DISCONNECT from a
    /// broker that dropped it) or nothing does.
    func nextRequest(_ worker: Peer, timeout: Duration = .seconds(30)) async throws -> [[UInt8]]? {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            try worker.send([[], MDP.worker02, [0x05]])
            if let frames = try await worker.receiveSkippingHeartbeats(timeout: .milliseconds(50)) {
                // "", MDPW02, REQUEST, token, "", header, body
                return frames.count >= 7 && frames[2] == [0x02] ? frames : nil
            }
        }
        return nil
    }

    /// Requests of a term older than the newest seen for their group are refused, queued or not.
    @Test func supersededTermsAreRefused() async throws {
        // A minute of silence tolerated: the leader answers no heartbeats while the test waits
        // for the broker's answers.
        let broker = try RunningBroker(liveness: 600)
        let leader = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try await ready(leader, instance: "lead")
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("work"))
        try client.send([MDP.client02, [0x01], bytes("work"), header(1, target: "lead", term: 1), bytes("1")])
        let first = try #require(try await nextRequest(leader))
        try client.send([MDP.client02, [0x01], bytes("work"), header(2, target: "lead", term: 1), bytes("2")])
        try client.send([MDP.client02, [0x01], bytes("work"), header(3, target: "lead", term: 2), bytes("3")])
        try client.send([MDP.client02, [0x01], bytes("work"), header(4, target: "lead", term: 1), bytes("4")])
        var answers: [UInt64: ColonyHeader] = [:]
        func collect(_ ids: UInt64...) async throws {
            while ids.contains(where: { answers[$0] == nil }), let reply = try await client.receive() {
                guard reply.count >= 4, let replyHeader = try? ColonyHeader(decoding: reply[3]), let id = replyHeader.requestID else { continue }
                answers[id] = replyHeader
            }
        }
        try await collect(4)
        #expect(answers[4]?.error?.code == .staleTerm && answers.count == 1, "a new request of an old term is refused at once: \(answers)")
        try leader.send([[], MDP.worker02, [0x04], first[3], [], bytes("done")])
        try await collect(1, 2)
        #expect(answers[1]?.error == nil)
        #expect(answers[2]?.error?.code == .staleTerm, "the queued request of the old term is refused, not delivered")
        let next = try #require(try await nextRequest(leader))
        #expect(next.last == bytes("3"), "the newest term's request goes through")
    }

    /// A request naming an instance waits for it (it may be reconnecting); if it does not come
    /// within one agent expiry, another agent gets it, told which instance was lost.
    @Test func aPreferredInstanceIsWaitedForThenReplaced() async throws {
        // An agent expiry (and so the wait for a preferred instance) of 3 s: "b" must outlive
        // the silences between its heartbeats below on a loaded machine.
        let broker = try RunningBroker(heartbeat: .milliseconds(100), liveness: 30)
        let other = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try await ready(other, instance: "b", capacity: 2)
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("work"))
        // "c" connects while its request waits: it gets it.
        try client.send([MDP.client02, [0x01], bytes("work"), header(1, preferred: "c"), bytes("for c")])
        let late = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try await ready(late, instance: "c")
        let toC = try #require(try await nextRequest(late))
        #expect(toC.last == bytes("for c"))
        #expect(try ColonyHeader(decoding: toC[5]).redeliveredAfterLossOf == nil)
        try late.send([[], MDP.worker02, [0x04], toC[3], [], bytes("done")])
        #expect(try await client.receive()?.last == bytes("done"))
        // "a" never comes: after the wait, "b" gets the request, marked.
        try other.send([[], MDP.worker02, [0x05]])
        try client.send([MDP.client02, [0x01], bytes("work"), header(2, preferred: "a"), bytes("for a")])
        let toB = try #require(try await nextRequest(other))
        #expect(toB.last == bytes("for a"))
        #expect(try ColonyHeader(decoding: toB[5]).redeliveredAfterLossOf == "a")
    }
}
