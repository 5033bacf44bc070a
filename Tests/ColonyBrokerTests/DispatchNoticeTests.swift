import ColonyBroker
import ColonyCore
import ColonyWire
import Foundation
import Testing
import ZeroMQ

/// The PARTIAL that tells a client (the orchestrator) which instance holds its request: sent
/// once the agent has held it `dispatchNoticeDelay`, never for a request answered sooner.
@Suite(.serialized) struct DispatchNoticeTests {
    func ready(_ worker: Peer, instance: String) throws {
        var announce = ColonyHeader(agent: instance, capabilities: ["work"], capacity: 1)
        announce.instance = instance
        try worker.send([[], MDP.worker02, [0x01], bytes("work"), announce.encoded()])
    }

    func request(_ id: UInt64) -> [[UInt8]] {
        var header = ColonyHeader(requestID: id)
        header.wantsDispatchNotice = true
        return [MDP.client02, [0x01], bytes("work"), header.encoded(), bytes("{}")]
    }

    /// The client's next message other than an answer to `mmi.service`, decoded: the command
    /// byte and the header.
    func nextReply(_ client: Peer) async throws -> (command: UInt8, header: ColonyHeader)? {
        guard let reply = try await client.receive(), reply.count >= 4, reply[1].count == 1 else { return nil }
        return (reply[1][0], try ColonyHeader(decoding: reply[3]))
    }

    /// An agent that still holds the request when the notice is due: the client hears which
    /// instance has it before the reply, and the reply after it.
    @Test func aRequestStillHeldWhenTheNoticeIsDueNamesItsInstance() async throws {
        let broker = try RunningBroker { $0.dispatchNoticeDelay = .zero }
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try ready(worker, instance: "w-1")
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("work"))
        try client.send(request(7))
        let held = try #require(try await worker.receiveSkippingHeartbeats())
        // The agent answers only once the client has the notice.
        let notice = try #require(try await nextReply(client))
        #expect(notice.command == MDP.ClientCommand.partial.rawValue)
        #expect(notice.header.requestID == 7 && notice.header.dispatchedTo == "w-1")
        try worker.send([[], MDP.worker02, [0x04], held[3], [], ColonyHeader(requestID: 7).encoded(), bytes("done")])
        let final = try #require(try await nextReply(client))
        #expect(final.command == MDP.ClientCommand.final.rawValue && final.header.requestID == 7)
    }

    /// A request answered before its notice is due gets the reply alone: the next message after
    /// it is the answer to the client's following question, not a late notice.
    @Test func aRequestAnsweredBeforeTheNoticeIsDueGetsNoNotice() async throws {
        let broker = try RunningBroker { $0.dispatchNoticeDelay = .seconds(3600) }
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try ready(worker, instance: "w-1")
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("work"))
        for id: UInt64 in 1...3 {
            try client.send(request(id))
            let held = try #require(try await worker.receiveSkippingHeartbeats())
            try worker.send([[], MDP.worker02, [0x04], held[3], [], ColonyHeader(requestID: id).encoded(), bytes("done")])
            let reply = try #require(try await nextReply(client))
            #expect(reply.command == MDP.ClientCommand.final.rawValue && reply.header.requestID == id)
        }
        #expect(try await client.isOffered("work"), "the message after the last reply answers mmi.service")
    }

    /// A request whose agent is lost is held anew by another: the notice due for the first hold
    /// is not sent, the one for the second names the second instance.
    @Test func aNoticeNamesTheInstanceThatHoldsTheRequestWhenItIsDue() async throws {
        // The first agent is lost by saying it leaves, not by falling silent: a loaded machine
        // that stalls this test's process past a short liveness would lose the second one too
        // (seen on CI with 300 ms). The harness's liveness keeps the second alive however long.
        let broker = try RunningBroker { $0.dispatchNoticeDelay = .zero }
        let first = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try ready(first, instance: "w-1")
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        #expect(try await client.waitUntilOffered("work"))
        try client.send(request(9))
        _ = try #require(try await first.receiveSkippingHeartbeats())
        let toFirst = try #require(try await nextReply(client))
        #expect(toFirst.header.dispatchedTo == "w-1")
        let second = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try ready(second, instance: "w-2")
        try first.send([[], MDP.worker02, [0x06]])
        let redelivered = try #require(try await second.receiveSkippingHeartbeats(), "the request went to the second agent")
        #expect(redelivered[2] == [0x02] && redelivered.last == bytes("{}"))
        let toSecond = try #require(try await nextReply(client))
        #expect(toSecond.command == MDP.ClientCommand.partial.rawValue && toSecond.header.dispatchedTo == "w-2")
    }
}
