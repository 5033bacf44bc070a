import ColonyBroker
import ColonyCore
import ColonyWire
import Foundation
import Testing
import ZeroMQ

/// Header fields at the edges of their ranges, from clients and workers: the broker answers or
/// drops each message and keeps serving. Before the deadline clamp, a deadline near 2^64 ms
/// trapped the broker (and with it this test process).
@Suite(.serialized) struct ExtremeInputTests {
    /// Numbers at the edges: zero, the signed and unsigned limits, and "now" in milliseconds.
    static let extremes: [UInt64] = [0, 1, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max - 1, UInt64.max,
                                     WallClock.nowMilliseconds(), WallClock.nowMilliseconds() + 1]
    /// Every numeric header tag (request id, attempt, deadline, capacity, pid, timestamp,
    /// skip counts, term).
    static let numericTags: [UInt8] = [1, 4, 6, 12, 13, 14, 16, 17, 21]

    /// A header of raw tag-length-value records, to write values the encoder never would.
    static func rawHeader(_ records: [(tag: UInt8, value: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [0xC0, 0x43, 0x4C, 0x01]
        for record in records {
            out.append(record.tag)
            out += varint(UInt64(record.value.count))
            out += record.value
        }
        return out
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    /// Varints no encoder writes: eleven bytes, a ten-byte one with high bits set, padded zeros.
    static let overlongVarints: [[UInt8]] = [
        Array(repeating: 0xFF, count: 10) + [0x01], Array(repeating: 0xFF, count: 9) + [0x7F],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], [0xFF],
    ]

    /// Serves one request as a Colony worker of capability `name`, echoing the body.
    func serveOne(_ worker: Peer) async throws -> Bool {
        guard let request = try await worker.receiveSkippingHeartbeats() else { return false }
        // "", MDPW02, REQUEST, token, "", header, body...
        try worker.send([[], MDP.worker02, [0x04], request[3], []] + request[6...])
        return true
    }

    @Test func extremeHeaderValuesNeverStopTheBroker() async throws {
        let broker = try RunningBroker(expiry: .milliseconds(300))
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        var sent = 0
        for tag in Self.numericTags {
            for value in Self.extremes {
                let header = Self.rawHeader([(tag, Self.varint(value))])
                try client.send([MDP.client02, [0x01], bytes("nobody.home"), header, bytes("{}")])
                sent += 1
            }
            for value in Self.overlongVarints {
                try client.send([MDP.client02, [0x01], bytes("nobody.home"), Self.rawHeader([(tag, value)]), bytes("{}")])
                sent += 1
            }
            // A length that claims more bytes than the frame has, and one near 2^64.
            try client.send([MDP.client02, [0x01], bytes("nobody.home"), [0xC0, 0x43, 0x4C, 0x01, tag, 0x7F, 0x01], bytes("{}")])
            try client.send([MDP.client02, [0x01], bytes("nobody.home"), [0xC0, 0x43, 0x4C, 0x01, tag] + Self.varint(.max) + [1], bytes("{}")])
        }
        // Workers announcing extreme capacities and skip counts, in READY and in HEARTBEAT.
        for value in Self.extremes {
            let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
            let ready = Self.rawHeader([(10, bytes("x")), (12, Self.varint(value)), (13, Self.varint(value)), (16, Self.varint(value))])
            try worker.send([[], MDP.worker02, [0x01], bytes("edge.\(value % 7)"), ready])
            try worker.send([[], MDP.worker02, [0x05], Self.rawHeader([(12, Self.varint(value)), (16, Self.varint(value)), (17, Self.varint(value))])])
            try worker.send([[], MDP.worker02, [0x06]])
        }
        // Every client request was answered (expired, refused or malformed replies count):
        // the broker is alive and still routes.
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("echo"), ColonyHeader(agent: "echo", capabilities: ["echo"], capacity: 4).encoded()])
        let asker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        // Its READY travels on another connection than the request: within the 300 ms expiry
        // the request could otherwise arrive first and expire waiting.
        #expect(try await asker.waitUntilOffered("echo"))
        let far = Self.rawHeader([(1, Self.varint(9)), (6, Self.varint(.max))])
        try asker.send([MDP.client02, [0x01], bytes("echo"), far, bytes("far future")])
        #expect(try await serveOne(worker))
        let reply = try #require(try await asker.receive())
        #expect(reply.last == bytes("far future"))
        #expect(try ColonyHeader(decoding: reply[3]).requestID == 9)
        // Every message was taken: counted as a request or as malformed.
        var accounted = 0
        for _ in 0..<500 where accounted < sent + 2 * Self.numericTags.count {
            try asker.send([MDP.client02, [0x01], bytes("mmi.stats")])
            let statsReply = try #require(try await asker.receive())
            let statistics = try JSONDecoder().decode(BrokerStatistics.self, from: Data(statsReply.last!))
            accounted = statistics.requestsReceived - statistics.managementQueries + statistics.malformedMessages
            if accounted < sent + 2 * Self.numericTags.count { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(accounted >= sent + 2 * Self.numericTags.count)
    }

    @Test func durationsFromPeopleAndPeersNeverTrap() {
        #expect(Duration(checkedSeconds: .infinity) == nil)
        #expect(Duration(checkedSeconds: .nan) == nil)
        #expect(Duration(checkedSeconds: 1e300) == nil)
        #expect(Duration(checkedSeconds: -1) == nil)
        #expect(Duration(checkedSeconds: 2.5) == .milliseconds(2500))
        #expect(Duration(clampingSeconds: .infinity) == .longest)
        #expect(Duration(clampingSeconds: -.infinity) == .zero)
        #expect(Duration(clampingSeconds: .nan) == .zero)
        #expect(Duration(clampingMilliseconds: .max) == .longest)
        #expect(Duration.longest.scaled(by: 1e300) == .longest)
        #expect(Duration.backoff(initial: .longest, multiplier: 100, max: .longest, attempt: 50) == .longest)
        #expect(MonotonicTime(nanoseconds: .max - 1) + .seconds(1) == .distantFuture)
        #expect(MonotonicTime(nanoseconds: 5) + .seconds(-1) == MonotonicTime(nanoseconds: 0))
        #expect(MonotonicTime.distantFuture.since(MonotonicTime(nanoseconds: 0)) == .nanoseconds(Int64.max))
    }
}

/// What the broker keeps is bounded in bytes too: queues, the gate's table, messages.
@Suite(.serialized) struct BrokerBoundsTests {
    func statistics(_ client: Peer) async throws -> BrokerStatistics {
        try client.send([MDP.client02, [0x01], bytes("mmi.stats")])
        return try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive()).last!))
    }

    @Test func aCapabilityQueueIsBoundedInBytes() async throws {
        // The first 4 waiting bodies stay in the receive buffers, the other 6 are copied out.
        let broker = try RunningBroker {
            $0.maxQueuedBytesPerCapability = 10_000
            $0.receiveBuffersForWaitingRequests = 4
        }
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        let body = Array(repeating: UInt8(ascii: "x"), count: 1000)
        for id in 1...15 {
            try client.send([MDP.client02, [0x01], bytes("slow.work"), ColonyHeader(requestID: UInt64(id)).encoded(), body])
        }
        var overloaded: [UInt64] = []
        for _ in 0..<5 {
            let reply = try #require(try await client.receive())
            let header = try ColonyHeader(decoding: reply[3])
            #expect(header.error?.code == .overloaded)
            overloaded.append(header.requestID ?? 0)
        }
        #expect(overloaded == [11, 12, 13, 14, 15], "ten 1000-byte bodies fill 10,000 bytes; the rest are refused")
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("slow.work"), ColonyHeader(agent: "w", capabilities: ["slow.work"], capacity: 20).encoded()])
        for _ in 0..<10 {
            let request = try #require(try await worker.receiveSkippingHeartbeats())
            #expect(request.last == body, "a queued body arrives whole, kept in the receive buffer or copied out")
        }
    }

    @Test func theGateKeepsBoundedRecords() async throws {
        let broker = try RunningBroker()
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        func fail(_ record: [String: Any]) async throws -> String {
            try client.send([MDP.client02, [0x01], bytes("mmi.gate.fail"), Array(try JSONSerialization.data(withJSONObject: record))])
            return text(try #require(try await client.receive()).last!)
        }
        #expect(try await fail(["run": "r1", "status": "failed", "reason": String(repeating: "é", count: 50_000), "atMilliseconds": 1]).contains("\"ok\":true"))
        #expect(try await fail(["run": String(repeating: "r", count: 300), "status": "failed", "reason": "x", "atMilliseconds": 1]).contains("bad_request"))
        #expect(try await fail(["run": "r2", "status": "exploded", "reason": "x", "atMilliseconds": 1]).contains("bad_request"))
        try client.send([MDP.client02, [0x01], bytes("mmi.gate.list")])
        let runs = try JSONDecoder().decode([FailedRun].self, from: Data(try #require(try await client.receive()).last!))
        #expect(runs.map(\.run) == ["r1"])
        #expect(runs[0].reason.utf8.count <= MessageLimits.maximumReasonBytes && runs[0].reason.hasSuffix("…"))
    }

    /// A message of more frames than the broker keeps (1,024) is received whole, dropped and
    /// counted as `too_many_frames`; the peer's next request is served as usual.
    @Test func aMessageOfTooManyFramesIsDroppedAndCounted() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("echo")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try client.send([MDP.client02, [0x01], bytes("echo")] + Array(repeating: [UInt8](), count: 5_000))
        try client.send([MDP.client02, [0x01], bytes("echo"), bytes("after")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(request.last == bytes("after"), "the oversized message never reached the worker")
        try worker.send([[], MDP.worker02, [0x04], request[3], [], bytes("done")])
        #expect(try await client.receive()?.last == bytes("done"))
        #expect(try await statistics(client).malformedByReason["too_many_frames"] == 1)
    }

    /// Capability names are at most 255 bytes: a longer one in a request is answered
    /// `bad_request` (nothing queued, nothing kept for it), and an agent offering one is
    /// disconnected; a name of exactly 255 bytes works end to end.
    @Test func capabilityNamesLongerThanTheLimitAreRefused() async throws {
        let broker = try RunningBroker()
        let longest = String(repeating: "c", count: CapabilityName.maximumBytes)
        let overlong = longest + "c"
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try client.send([MDP.client02, [0x01], bytes(overlong), ColonyHeader(requestID: 7).encoded(), bytes("{}")])
        let refusal = try #require(try await client.receive())
        let header = try ColonyHeader(decoding: refusal[3])
        #expect(header.requestID == 7 && header.error?.code == .badRequest, "\(header)")
        #expect(text(refusal.last!).contains("at most 255 bytes; this one has 256"))

        let greedy = try Peer(.dealer, connectTo: broker.endpoints.requests)
        var announcement = ColonyHeader(agent: "greedy", capabilities: ["fine", overlong], capacity: 1)
        announcement.instance = "greedy-1"
        try greedy.send([[], MDP.worker02, [0x01], bytes("fine"), announcement.encoded()])
        let answer = try #require(try await greedy.receiveSkippingHeartbeats())
        #expect(answer.suffix(2) == [MDP.worker02, [0x06]], "DISCONNECT for a READY offering an overlong name")

        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes(longest)])
        try client.send([MDP.client02, [0x01], bytes(longest), bytes("ping")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(request.last == bytes("ping"))
        try worker.send([[], MDP.worker02, [0x04], request[3], [], bytes("pong")])
        #expect(try await client.receive()?.last == bytes("pong"))
    }

    /// Requests may wait for at most `maxUnofferedCapabilities` names that no agent offers: a
    /// request for one more such name is refused at once; once an agent offers one of them,
    /// there is room for another.
    @Test func requestsWaitForABoundedNumberOfNamesNobodyOffers() async throws {
        let broker = try RunningBroker { $0.maxUnofferedCapabilities = 3 }
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        func ask(_ name: String, _ id: UInt64) async throws {
            try client.send([MDP.client02, [0x01], bytes(name), ColonyHeader(requestID: id).encoded(), bytes("{}")])
        }
        func nextAnswer() async throws -> ColonyHeader { try ColonyHeader(decoding: try #require(try await client.receive())[3]) }
        for (id, name) in ["a1", "a2", "a3"].enumerated() { try await ask(name, UInt64(id + 1)) }
        try await ask("a4", 4)
        let refused = try await nextAnswer()
        #expect(refused.requestID == 4 && refused.error?.code == .overloaded, "\(refused)")
        #expect(refused.error?.message.contains("max_unoffered_capabilities") == true)

        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("a1")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        try worker.send([[], MDP.worker02, [0x04], request[3], [], bytes("done")])
        #expect(try await nextAnswer().requestID == 1)
        try await ask("a5", 5)
        try await ask("a6", 6)
        let second = try await nextAnswer()
        #expect(second.requestID == 6 && second.error?.code == .overloaded, "a5 took the place a1 left; a6 found none: \(second)")
    }

    /// All capability queues together hold at most `maxQueuedTotal` requests and
    /// `maxQueuedBytesTotal` body bytes, whatever each capability's own bounds allow.
    @Test func allQueuesTogetherAreBounded() async throws {
        let broker = try RunningBroker {
            $0.maxQueuedTotal = 4
            $0.maxQueuedBytesTotal = 100_000
        }
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        for (id, name) in ["x", "x", "y", "y", "z"].enumerated() {
            try client.send([MDP.client02, [0x01], bytes(name), ColonyHeader(requestID: UInt64(id + 1)).encoded(), bytes("{}")])
        }
        let refused = try ColonyHeader(decoding: try #require(try await client.receive())[3])
        #expect(refused.requestID == 5 && refused.error?.code == .overloaded, "\(refused)")

        let bytesBound = try RunningBroker { $0.maxQueuedBytesTotal = 2_500 }
        let other = try Peer(.dealer, connectTo: bytesBound.endpoints.requests)
        let body = Array(repeating: UInt8(ascii: "x"), count: 1000)
        for (id, name) in ["p", "q", "r"].enumerated() {
            try other.send([MDP.client02, [0x01], bytes(name), ColonyHeader(requestID: UInt64(id + 1)).encoded(), body])
        }
        let full = try ColonyHeader(decoding: try #require(try await other.receive())[3])
        #expect(full.requestID == 3 && full.error?.code == .overloaded, "two 1000-byte bodies fit in 2,500 bytes, a third does not: \(full)")
    }

    @Test func aMessageOverTheSizeLimitIsNotTaken() async throws {
        let broker = try RunningBroker { $0.maxMessageSize = 64 * 1024 }
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("big")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try client.send([MDP.client02, [0x01], bytes("big"), Array(repeating: 1, count: 100 * 1024)])
        let other = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try other.send([MDP.client02, [0x01], bytes("big"), bytes("small")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(request.last == bytes("small"))
        try worker.send([[], MDP.worker02, [0x04], request[3], [], bytes("done")])
        #expect(try await other.receive()?.last == bytes("done"))
        // Had the broker taken the oversized request, it would have been queued and would
        // reach the now free worker at once.
        #expect(try await worker.receiveSkippingHeartbeats(timeout: .milliseconds(500)) == nil, "the oversized message was dropped")
    }
}
