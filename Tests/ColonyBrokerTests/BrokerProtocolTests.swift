import ColonyAgent
import ColonyBroker
import ColonyWire
import Foundation
import Testing
import ColonyCore
import ColonyTestSupport
import ZeroMQ

/// The broker against hand-written MDP peers of every dialect, as other languages' clients
/// and workers would speak it.
@Suite(.serialized) struct BrokerProtocolTests {
    /// An MDP/0.1 worker: READY, then answers one request by echoing it upper-cased.
    func serveOne(_ worker: Peer) async throws -> [[UInt8]]? {
        guard let request = try await worker.receiveSkippingHeartbeats() else { return nil }
        // "", MDPW01, REQUEST, client address, "", body...
        #expect(request[0] == [] && request[1] == MDP.worker01 && request[2] == [0x02] && request[4] == [])
        let body = request[5...].map { bytes(text($0).uppercased()) }
        try worker.send([[], MDP.worker01, [0x03], request[3], []] + body)
        return request
    }

    @Test func mdp01ClientAndWorker() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("upper")])
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        try client.send([MDP.client01, bytes("upper"), bytes("hello"), bytes("world")])
        let request = try #require(try await serveOne(worker))
        #expect(!ColonyHeader.isHeader(request[5]), "plain workers never see a Colony header")
        let reply = try #require(try await client.receive())
        #expect(reply == [MDP.client01, bytes("upper"), bytes("HELLO"), bytes("WORLD")])
    }

    /// A request's capability is found by comparing its bytes with the last one routed. A
    /// capability forgotten once nobody offers it and offered again is a new queue: requests
    /// reach its new agent, not the forgotten queue; and requests that alternate between names
    /// (one a prefix of the other) each reach their own agent.
    @Test func theLastCapabilityRoutedIsFoundAgainOnlyWhileItIsKnown() async throws {
        let broker = try RunningBroker()
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        /// The reply to a request for `capability`, which `worker` must be the one to serve.
        func ask(_ capability: String, servedBy worker: Peer) async throws -> [[UInt8]]? {
            try client.send([MDP.client01, bytes(capability), bytes("hi")])
            guard try await serveOne(worker) != nil else { return nil }
            return try await client.receive()
        }
        let first = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try first.send([[], MDP.worker01, [0x01], bytes("upper")])
        #expect(try await ask("upper", servedBy: first) == [MDP.client01, bytes("upper"), bytes("HI")])
        try first.send([[], MDP.worker01, [0x05]])  // DISCONNECT: nobody offers "upper" now
        let operatorClient = ColonyClient(endpoints: broker.endpoints)
        #expect(try await until { try await !operatorClient.directory(timeout: .generous).capabilities.contains { $0.name == "upper" } },
                "the broker forgets a capability nobody offers and nothing waits for (at its next heartbeat)")
        let second = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try second.send([[], MDP.worker01, [0x01], bytes("upper")])
        let prefix = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try prefix.send([[], MDP.worker01, [0x01], bytes("upp")])
        for (capability, worker) in [("upper", second), ("upp", prefix), ("upper", second), ("upper", second), ("upp", prefix)] {
            #expect(try await ask(capability, servedBy: worker) == [MDP.client01, bytes(capability), bytes("HI")], "\(capability)")
        }
    }

    /// A plain MDP worker reports an error as `{"error":{"code","message"}}`: Colony clients get
    /// an error status with that code, plain clients the body as it was, and the directory
    /// counts a failure. Any other body, even one mentioning "error", is a success.
    @Test func plainWorkersReportErrorsAsAJSONErrorBody() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("calc")])
        let errorBody = bytes(#" {"error": {"code": "division_by_zero", "message": "cannot divide 7 by zero"}}"#)
        let colony = try Peer(.dealer, connectTo: broker.endpoints.requests)
        let plain = try Peer(.request, connectTo: broker.endpoints.requests)
        for (body, isError) in [(errorBody, true), (bytes(#"{"error": "just a field"}"#), false), (bytes(#"{"result": 1}"#), false)] {
            try colony.send([MDP.client02, [0x01], bytes("calc"), ColonyHeader(requestID: 5).encoded(), bytes("{}")])
            var request = try #require(try await worker.receiveSkippingHeartbeats())
            try worker.send([[], MDP.worker01, [0x03], request[3], [], body])
            let reply = try #require(try await colony.receive())
            let header = try ColonyHeader(decoding: reply[3])
            #expect(header.requestID == 5)
            #expect(header.error == (isError ? WireError(ErrorCode("division_by_zero"), "cannot divide 7 by zero") : nil))
            #expect(reply[4] == body)
            try plain.send([MDP.client01, bytes("calc"), bytes("{}")])
            request = try #require(try await worker.receiveSkippingHeartbeats())
            try worker.send([[], MDP.worker01, [0x03], request[3], [], body])
            #expect(try await plain.receive() == [MDP.client01, bytes("calc"), body])
        }
        try colony.send([MDP.client02, [0x01], bytes("mmi.directory")])
        let directory = try JSONDecoder().decode(Directory.self, from: Data(try #require(try await colony.receive()).last!))
        #expect(directory.agents.first?.failed == 2)
    }

    /// majortomo's client (PyPI) numbers its commands like a worker: REQUEST 0x02, and it
    /// accepts only PARTIAL 0x03 / FINAL 0x04 back, after a delimiter.
    @Test func majortomoClientsAreAnsweredInTheirNumbering() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker02, [0x01], bytes("upper")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try client.send([[], MDP.client02, [0x02], bytes("upper"), bytes("hello")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        try worker.send([[], MDP.worker02, [0x03], request[3], [], bytes("HEL")])
        try worker.send([[], MDP.worker02, [0x04], request[3], [], bytes("HELLO")])
        #expect(try await client.receive() == [[], MDP.client02, [0x03], bytes("upper"), bytes("HEL")])
        #expect(try await client.receive() == [[], MDP.client02, [0x04], bytes("upper"), bytes("HELLO")])
        try client.send([[], MDP.client02, [0x02], bytes("mmi.service"), bytes("upper")])
        #expect(try await client.receive() == [[], MDP.client02, [0x04], bytes("mmi.service"), bytes("200")])
    }

    /// A subscriber that stops reading misses events once its queue is full: each such event
    /// is counted in mmi.stats (before, XPUB skipped it silently).
    @Test func eventsASlowSubscriberMissesAreCounted() async throws {
        let broker = try RunningBroker { $0.eventHighWaterMark = 10 }
        let stalled = try Socket(.subscriber)
        try stalled.setReceiveHighWaterMark(1)
        try stalled.subscribe("t.")
        try stalled.connect(broker.endpoints.subscribe)
        let publisher = try Peer(.publisher, connectTo: broker.endpoints.publish)
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        func statistics() async throws -> BrokerStatistics {
            try client.send([MDP.client02, [0x01], bytes("mmi.stats")])
            return try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive()).last!))
        }
        // Wait until the publisher's events and the subscription have both reached the broker.
        var connected = false
        for _ in 0..<500 where !connected {
            try publisher.send("t.probe", "{}")
            try await Task.sleep(for: .milliseconds(10))
            connected = try await statistics().eventsReachASubscriber
        }
        #expect(try await statistics().eventsDroppedAtHighWaterMark == 0)
        for index in 0..<20_000 { try publisher.send("t.tick", "\(index)") }
        var dropped = 0
        for _ in 0..<500 where dropped == 0 {
            try await Task.sleep(for: .milliseconds(10))
            dropped = try await statistics().eventsDroppedAtHighWaterMark
        }
        #expect(dropped > 0)
        withExtendedLifetime(stalled) {}
    }

    /// An event of more frames than the proxy keeps (1,024) is dropped and counted as
    /// `too_many_frames`; the events around it reach the subscriber.
    @Test func anEventOfTooManyFramesIsDroppedAndCounted() async throws {
        let broker = try RunningBroker()
        let subscriber = try Peer(.subscriber, connectTo: broker.endpoints.subscribe)
        try subscriber.socket.subscribe("t.")
        let publisher = try Peer(.publisher, connectTo: broker.endpoints.publish)
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        // Publish probes until the subscription has reached the proxy and one comes back.
        var first: [[UInt8]]?
        for _ in 0..<500 where first == nil {
            try publisher.send("t.probe", "{}")
            first = try await subscriber.receive(timeout: .milliseconds(10))
        }
        #expect(first?.first == bytes("t.probe"))
        try publisher.send([bytes("t.huge")] + Array(repeating: [UInt8](), count: 2_000))
        try publisher.send("t.after", "{}")
        var next = try await subscriber.receive()
        while next?.first == bytes("t.probe") { next = try await subscriber.receive() }
        #expect(next?.first == bytes("t.after"), "the 2,001-frame event never went out")
        try client.send([MDP.client02, [0x01], bytes("mmi.stats")])
        let statistics = try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive()).last!))
        #expect(statistics.malformedByReason["too_many_frames"] == 1)
    }

    @Test func mdp02ClientsGetFinalInTheirOwnDialect() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("upper")])
        let plain = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try plain.send([MDP.client02, [0x01], bytes("upper"), bytes("a")])
        _ = try await serveOne(worker)
        #expect(try await plain.receive() == [MDP.client02, [0x03], bytes("upper"), bytes("A")])

        let delimited = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try delimited.send([[], MDP.client02, [0x01], bytes("upper"), bytes("b")])
        _ = try await serveOne(worker)
        #expect(try await delimited.receive() == [[], MDP.client02, [0x03], bytes("upper"), bytes("B")])
    }

    @Test func mdp02WorkerStreamsPartialsToMdp02Clients() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([MDP.worker02, [0x01], bytes("count")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try client.send([MDP.client02, [0x01], bytes("count"), bytes("go")])
        let request = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(request[0] == MDP.worker02 && request[1] == [0x02] && request[3] == [])
        try worker.send([MDP.worker02, [0x03], request[2], [], bytes("1")])
        try worker.send([MDP.worker02, [0x03], request[2], [], bytes("2")])
        try worker.send([MDP.worker02, [0x04], request[2], [], bytes("done")])
        #expect(try await client.receive() == [MDP.client02, [0x02], bytes("count"), bytes("1")])
        #expect(try await client.receive() == [MDP.client02, [0x02], bytes("count"), bytes("2")])
        #expect(try await client.receive() == [MDP.client02, [0x03], bytes("count"), bytes("done")])
    }

    @Test func mmiServiceAnswers200404And501() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("echo")])
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        var answer = "404"
        for _ in 0..<100 where answer != "200" {
            try client.send([MDP.client01, bytes("mmi.service"), bytes("echo")])
            answer = text(try #require(try await client.receive())[2])
        }
        #expect(answer == "200")
        try client.send([MDP.client01, bytes("mmi.service"), bytes("nobody")])
        #expect(try await client.receive()?[2] == bytes("404"))
        try client.send([MDP.client01, bytes("mmi.whatever"), bytes("x")])
        #expect(try await client.receive()?[2] == bytes("501"))
        try client.send([MDP.client01, bytes("mmi.directory")])
        let directory = try JSONDecoder().decode(Directory.self, from: Data(try #require(try await client.receive())[2]))
        #expect(directory.agents.map(\.capabilities) == [["echo"]])
    }

    @Test func requestsWithoutAgentsExpireWithAClearError() async throws {
        let broker = try RunningBroker(expiry: .milliseconds(200))
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        try client.send([MDP.client01, bytes("ghost"), bytes("{}")])
        let reply = try #require(try await client.receive())
        #expect(reply[0] == MDP.client01 && reply[1] == bytes("ghost"))
        #expect(text(reply[2]).contains("\"code\":\"no_agent\""))
    }

    @Test func queuedRequestsGoToAWorkerThatArrivesLater() async throws {
        let broker = try RunningBroker()
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        try client.send([MDP.client01, bytes("late"), bytes("x")])
        try await Task.sleep(for: .milliseconds(100))
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("late")])
        _ = try await serveOne(worker)
        #expect(try await client.receive()?[2] == bytes("X"))
    }

    @Test func queuedRequestsAreServedFairlyAcrossClients() async throws {
        let broker = try RunningBroker()
        let greedy = try Peer(.dealer, connectTo: broker.endpoints.requests)
        for index in 0..<20 { try greedy.send([MDP.client02, [0x01], bytes("fair"), bytes("greedy-\(index)")]) }
        try await Task.sleep(for: .milliseconds(100))
        let modest = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try modest.send([MDP.client02, [0x01], bytes("fair"), bytes("modest")])
        try await Task.sleep(for: .milliseconds(100))
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("fair")])
        var served: [String] = []
        for _ in 0..<4 {
            let request = try #require(try await worker.receiveSkippingHeartbeats())
            served.append(text(request[5]))
            try worker.send([[], MDP.worker01, [0x03], request[3], [], request[5]])
        }
        #expect(served.prefix(2).contains("modest"), "served in order \(served)")
        #expect(served.filter { $0.hasPrefix("greedy") } == ["greedy-0", "greedy-1", "greedy-2"], "one client's requests stay in order")
    }

    @Test func aRequestHeldByADeadWorkerGoesToAnother() async throws {
        // 2 s of silence make a worker dead. A loaded machine can stall this test's process
        // longer than that (seen on CI: the survivor was lost too and the request failed with
        // agent_lost), so the survivor comes back as a new connection when told to go, as an
        // agent does, and the request may go round more than once: it must still end with the
        // survivor's answer.
        let broker = try RunningBroker(heartbeat: .milliseconds(100), liveness: 20) { $0.redispatchLimit = 10 }
        let doomed = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try doomed.send([[], MDP.worker01, [0x01], bytes("job")])
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        try client.send([MDP.client01, bytes("job"), bytes("work")])
        _ = try #require(try await doomed.receiveSkippingHeartbeats(), "the first worker gets the request")
        // It never answers nor heartbeats; a second worker joins and must get the request.
        var survivor = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try survivor.send([[], MDP.worker01, [0x01], bytes("job")])
        var reply: [[UInt8]]?
        let deadline = MonotonicTime.now() + .seconds(60)
        while reply == nil, MonotonicTime.now() < deadline {
            try survivor.send([[], MDP.worker01, [0x04]])
            if let request = try await survivor.receive(timeout: .milliseconds(20)), !Peer.isHeartbeat(request) {
                if request[2] == [0x05] {  // DISCONNECT: taken for dead during a stall
                    survivor = try Peer(.dealer, connectTo: broker.endpoints.requests)
                    try survivor.send([[], MDP.worker01, [0x01], bytes("job")])
                    continue
                }
                try survivor.send([[], MDP.worker01, [0x03], request[3], [], bytes("saved")])
            }
            reply = try await client.receive(timeout: .milliseconds(1))
        }
        #expect(reply?[2] == bytes("saved"))
    }

    @Test func secondReadyAndUnknownWorkersGetDisconnect() async throws {
        let broker = try RunningBroker()
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("svc")])
        try worker.send([[], MDP.worker01, [0x01], bytes("svc")])
        #expect(try await worker.receiveSkippingHeartbeats() == [[], MDP.worker01, [0x05]])
        let stranger = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try stranger.send([MDP.worker02, [0x05]])
        #expect(try await stranger.receive() == [MDP.worker02, [0x06]])
    }

    @Test func theBrokerAnswersTimeoutWhenAHeldRequestPassesItsDeadline() async throws {
        let broker = try RunningBroker(heartbeat: .milliseconds(50))
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([MDP.worker02, [0x01], bytes("slow")])
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        let deadline = WallClock.nowMilliseconds() + 150
        try client.send([MDP.client02, [0x01], bytes("slow"), ColonyHeader(requestID: 9, deadlineMilliseconds: deadline).encoded(), bytes("{}")])
        let request = try #require(try await worker.receiveSkippingHeartbeats(), "the worker holds the request and never answers")
        let reply = try #require(try await client.receive())
        let header = try ColonyHeader(decoding: reply[3])
        #expect(header.requestID == 9 && header.error?.code == .timeout, "\(header)")
        // The late answer is dropped, not delivered twice.
        try worker.send([MDP.worker02, [0x04], request[2], [], bytes("late")])
        #expect(try await client.receive(timeout: .milliseconds(300)) == nil)
    }

    @Test func capabilitiesNobodyOffersAreForgotten() async throws {
        let broker = try RunningBroker(heartbeat: .milliseconds(50), expiry: .milliseconds(50))
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        for index in 0..<200 {
            try client.send([MDP.client02, [0x01], bytes("typo.\(index)"), bytes("{}")])
        }
        for _ in 0..<200 { _ = try #require(try await client.receive()) }
        var capabilities: [CapabilityRecord] = [CapabilityRecord(name: "", agents: 0, queued: 0, served: 0)]
        for _ in 0..<100 where !capabilities.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            try client.send([MDP.client02, [0x01], bytes("mmi.directory")])
            capabilities = try JSONDecoder().decode(Directory.self, from: Data(try #require(try await client.receive())[3])).capabilities
        }
        #expect(capabilities.isEmpty)
    }

    @Test func brokerSendsHeartbeatsToIdleWorkers() async throws {
        let broker = try RunningBroker(heartbeat: .milliseconds(50))
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([MDP.worker02, [0x01], bytes("svc")])
        #expect(try await worker.receive() == [MDP.worker02, [0x05]])
    }

    @Test func colonyClientsGetTheirRequestIDAndTypedErrors() async throws {
        let broker = try RunningBroker(expiry: .milliseconds(100))
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        let header = ColonyHeader(requestID: 77, correlationID: "run-1").encoded()
        try client.send([MDP.client02, [0x01], bytes("ghost"), header, bytes("{}")])
        let reply = try #require(try await client.receive())
        let replyHeader = try ColonyHeader(decoding: reply[3])
        #expect(replyHeader.requestID == 77)
        #expect(replyHeader.error?.code == .noAgent)
    }

    /// Random frame sequences from many peers: the broker drops and counts them, and keeps serving.
    @Test func randomGarbageIsDroppedAndCountedNeverFatal() async throws {
        let broker = try RunningBroker()
        var generator = SystemRandomNumberGenerator()
        let extremeHeaders = ExtremeInputTests.numericTags.flatMap { tag in
            ExtremeInputTests.extremes.map { ExtremeInputTests.rawHeader([(tag, ExtremeInputTests.varint($0))]) }
                + ExtremeInputTests.overlongVarints.map { ExtremeInputTests.rawHeader([(tag, $0)]) }
        }
        let vocabulary: [[UInt8]] = [[], MDP.client01, MDP.client02, MDP.worker01, MDP.worker02, [1], [2], [3], [4], [5], [6],
                                     bytes("svc"), bytes("mmi.service"), ColonyHeader(requestID: 1).encoded(), [0xC0, 0x43, 0x4C, 0x01, 9], [0xFF]]
            + extremeHeaders
        var peers = try (0..<4).map { _ in try Peer(.dealer, connectTo: broker.endpoints.requests) }
        for round in 0..<3000 {
            let count = Int.random(in: 1...7, using: &generator)
            let message = (0..<count).map { _ in
                Bool.random(using: &generator) ? vocabulary.randomElement(using: &generator)!
                    : (0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            try peers[round % peers.count].send(message)
            if round % 500 == 0 { peers[round % peers.count] = try Peer(.dealer, connectTo: broker.endpoints.requests) }
        }
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("upper")])
        let client = try Peer(.request, connectTo: broker.endpoints.requests)
        try client.send([MDP.client01, bytes("upper"), bytes("still alive")])
        _ = try await serveOne(worker)
        #expect(try await client.receive()?[2] == bytes("STILL ALIVE"))
        try client.send([MDP.client01, bytes("mmi.stats")])
        let statistics = try JSONDecoder().decode(BrokerStatistics.self, from: Data(try #require(try await client.receive())[2]))
        #expect(statistics.malformedMessages > 100)
    }
}

/// A request that asks to fail fast (`failIfUnoffered`) for a capability no agent has offered is
/// answered at once with the nearest offered name; without the flag it waits as MDP says.
@Suite struct UnofferedCapabilityTests {
    @Test func aTypoIsAnsweredAtOnceWithTheNearestName() async throws {
        // An hour's expiry: only the fail-fast answer can come back within the test.
        // Heartbeats every 100 ms, 10 s of silence tolerated; a loaded machine that holds the test
        // longer gets the worker dropped, and it comes back as MDP workers do: told DISCONNECT at
        // its next heartbeat, it sends READY again.
        let broker = try RunningBroker(heartbeat: .milliseconds(100), liveness: 100, expiry: .seconds(3600))
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        let ready: [[UInt8]] = [[], MDP.worker01, [0x01], bytes("math.add")]
        try worker.send(ready)
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        // Within the broker's first 20 s (twice an agent's expiry) a request still waits, and the
        // worker's READY may be on its way: ask again until the answer names math.add (each ask
        // is answered at once once both are past; a waiting one would take the hour).
        var answer: WireError?
        for id in 1...600 where answer?.message.contains("did you mean") != true {
            while let told = try worker.socket.receiveMessage() {
                if told.count == 3 && told[2].bytes == [0x05] { try worker.send(ready) }
            }
            try worker.send([[], MDP.worker01, [0x04]])
            var header = ColonyHeader(requestID: UInt64(id))
            header.failIfUnoffered = true
            try client.send([[], MDP.client02, [0x01], bytes("math.ad"), header.encoded(), bytes("{}")])
            if let reply = try await client.receive(timeout: .milliseconds(200)) { answer = try ColonyHeader(decoding: reply[4]).error }
        }
        #expect(answer?.code == .noAgent)
        #expect(answer?.message.contains("no agent offers math.ad") == true && answer?.message.contains("did you mean math.add?") == true, "\(String(describing: answer))")

        let waiting = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try waiting.send([[], MDP.client02, [0x01], bytes("math.ad"), ColonyHeader(requestID: 2).encoded(), bytes("{}")])
        #expect(try await waiting.receive(timeout: .milliseconds(300)) == nil, "without the flag the request waits for an agent")
    }

    /// Right after a (re)start, agents are still reconnecting: within twice an agent expiry a
    /// request that asks to fail fast waits for its agent like any other, and is served.
    @Test func aFreshBrokerWaitsForAgentsThatAreStillReconnecting() async throws {
        // Grace: 2 × 1 s × 30 = 60 s, far longer than this test takes to send and register on
        // however loaded a machine.
        let broker = try RunningBroker(heartbeat: .seconds(1), liveness: 30, expiry: .seconds(3600))
        let client = try Peer(.dealer, connectTo: broker.endpoints.requests)
        var header = ColonyHeader(requestID: 1)
        header.failIfUnoffered = true
        try client.send([[], MDP.client02, [0x01], bytes("late.cap"), header.encoded(), bytes("{}")])
        let worker = try Peer(.dealer, connectTo: broker.endpoints.requests)
        try worker.send([[], MDP.worker01, [0x01], bytes("late.cap")])
        let request = try #require(try await worker.receiveSkippingHeartbeats(timeout: .seconds(30)), "the request waited for the agent and reached it")
        #expect(text(request.last ?? []) == "{}")
        try worker.send([[], MDP.worker01, [0x03], request[3], [], bytes("{}")])
        let reply = try #require(try await client.receive(timeout: .seconds(30)))
        #expect(try ColonyHeader(decoding: reply[4]).error == nil, "served, not refused")
    }
}
