import ColonyAccess
import ColonyAgent
@testable import ColonyBroker
import ColonyCore
import ColonyWire
import ColonyTestSupport
import Foundation
import Logging
import Testing
import ZeroMQ

/// A CURVE broker against hostile peers: each is refused and counted, nothing in the broker
/// changes, and the legitimate peers keep working.
@Suite struct SecurityTests {
    /// Keys on disk, an access list, and a broker that enforces them.
    final class SecureBus {
        let directory: URL
        let keys: KeyDirectory
        let broker: RunningBroker
        let serverKey: String
        var named: [String: CurveKeyPair] = [:]

        init(entries: [(String, Role, [String])]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-keys-\(UUID().uuidString.prefix(8))")
            keys = KeyDirectory(path: directory.path)
            try keys.initialize { let pair = try CurveKeyPair.generate(); return (pair.publicKey, pair.secretKey) }
            var list = try keys.accessList()
            for (name, role, offers) in entries {
                let pair = try CurveKeyPair.generate()
                named[name] = pair
                try list.add(AccessEntry(name: name, publicKey: pair.publicKey, role: role, offers: offers))
            }
            try keys.save(list)
            let operatorKeys = try keys.operatorKeys()
            named["operator"] = CurveKeyPair(publicKey: operatorKeys.publicKey, secretKey: operatorKeys.secretKey)
            serverKey = try keys.brokerKeys().publicKey
            var logger = Logger(label: "guard")
            logger.logLevel = .critical
            // Raw test peers send no heartbeats: a long expiry (10 minutes) keeps them registered
            // on a busy machine, where one of these tests has been seen to take 90 s.
            broker = try RunningBroker(heartbeat: .seconds(1), liveness: 600, guard: try BrokerGuard(keys: keys, logger: logger))
        }

        func credentials(_ name: String) -> Credentials {
            let pair = named[name]!
            return Credentials(serverKey: serverKey, publicKey: pair.publicKey, secretKey: pair.secretKey)
        }

        func client(_ name: String) -> ColonyClient {
            ColonyClient(endpoints: broker.endpoints, credentials: credentials(name))
        }

        func peer(_ type: SocketType, _ name: String, to endpoint: KeyPath<BrokerEndpoints, String> = \.requests,
                  routingID: [UInt8]? = nil) throws -> Peer {
            try Peer(type, connectTo: broker.endpoints[keyPath: endpoint], curve: .client(serverKey: serverKey, keys: named[name]!),
                     routingID: routingID)
        }

        func statistics() async throws -> BrokerStatistics {
            try await client("operator").statistics(timeout: .generous)
        }

        func directory(of client: ColonyClient? = nil) async throws -> Directory {
            try await (client ?? self.client("operator")).directory(timeout: .generous)
        }

        deinit {
            broker.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A READY announcing `capabilities` (Colony MDP/0.2 with a header).
    static func ready(_ capabilities: [String], instance: String) -> [[UInt8]] {
        var header = ColonyHeader(agent: "hostile", capacity: 1_000_000)
        header.capabilities = capabilities
        header.instance = instance
        return [[], MDP.worker02, [0x01], bytes(capabilities[0]), header.encoded()]
    }

    @Test func peersWithoutAKeyOfThisColonyAreRefusedAtTheHandshakeAndCounted() async throws {
        let bus = try SecureBus(entries: [])
        // No CURVE at all, and CURVE with a key pair that is not the broker's peer.
        let keyless = try Peer(.dealer, connectTo: bus.broker.endpoints.requests)
        try keyless.send(Self.ready(["work"], instance: "keyless-1"))
        let lost = try Peer(.dealer, connectTo: bus.broker.endpoints.requests,
                            curve: .client(serverKey: try CurveKeyPair.generate().publicKey, keys: try CurveKeyPair.generate()))
        try lost.send(Self.ready(["work"], instance: "lost-1"))
        let stranger = try Peer(.dealer, connectTo: bus.broker.endpoints.requests,
                                curve: .client(serverKey: bus.serverKey, keys: try CurveKeyPair.generate()))
        try stranger.send(Self.ready(["work"], instance: "stranger-1"))
        var stats = try await bus.statistics()
        for _ in 0..<1000 where (stats.securityRefusals["handshake_failed"] ?? 0) < 2 || stats.securityRefusals["unknown_key"] == nil {
            try await Task.sleep(for: .milliseconds(10))
            stats = try await bus.statistics()
        }
        #expect(stats.securityRefusals["handshake_failed"] ?? 0 >= 2, "\(stats.securityRefusals)")
        #expect(stats.securityRefusals["unknown_key"] ?? 0 >= 1, "\(stats.securityRefusals)")
        #expect(try await bus.directory().agents.isEmpty)
        #expect(stats.agentsJoined == 0)
    }

    @Test func anOversizedFailureReasonFromAnAgentKeyIsRefusedWithNothingStored() async throws {
        let bus = try SecureBus(entries: [("mallory", .agent, [])])
        let huge = String(repeating: "x", count: 4 << 20)
        await #expect(throws: RequestError.self) {
            _ = try await bus.client("mallory").management(ManagementService.failRun, argument: #"{"run":"r-1","reason":"\#(huge)"}"#,
                                                          timeout: .seconds(10))
        }
        let stats = try await bus.statistics()
        #expect(stats.failedRunsKnown == 0)
        #expect(stats.securityRefusals["request_not_allowed"] == 1)
    }

    @Test func anAgentKeyMayNotOfferColonyCapabilitiesNorTellTheGate() async throws {
        let bus = try SecureBus(entries: [("mallory", .agent, [])])
        // Registering as the orchestrator's capability: DISCONNECT, nothing registered.
        let worker = try bus.peer(.dealer, "mallory")
        try worker.send(Self.ready(["colony.workflow.run"], instance: "mallory-1"))
        let answer = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(answer.count == 3 && answer[2] == [0x06], "DISCONNECT")
        // Telling the gate that a run failed: forbidden, the gate unchanged.
        let mallory = bus.client("mallory")
        await #expect(throws: RequestError.self) {
            _ = try await mallory.management(ManagementService.failRun, argument: #"{"run":"r-1","reason":"forged"}"#)
        }
        let stats = try await bus.statistics()
        #expect(stats.security == "curve")
        #expect(stats.failedRunsKnown == 0)
        #expect(stats.securityRefusals["capability_not_allowed"] == 1)
        #expect(stats.securityRefusals["request_not_allowed"] == 1)
        let directory = try await bus.directory()
        #expect(directory.capabilities.allSatisfy { $0.name != "colony.workflow.run" })
    }

    /// The broker remembers who a routing id belongs to (SenderCache). A connection of another key
    /// that takes the same routing id over (ROUTER handover) must be judged as itself: here an
    /// agent key after the orchestrator's, asking what only the orchestrator may.
    @Test func aKeyThatTakesOverARoutingIdIsJudgedAsItself() async throws {
        let bus = try SecureBus(entries: [("boss", .orchestrator, []), ("mallory", .agent, [])])
        let request: [[UInt8]] = [MDP.client02, [0x01], bytes(ManagementService.gateSynced), []]
        let boss = try bus.peer(.dealer, "boss", routingID: bytes("shared-id"))
        try boss.send(request)
        let bossAnswer = try #require(try await boss.receive())
        #expect(!String(decoding: bossAnswer.joined(), as: UTF8.self).contains("forbidden"), "\(bossAnswer)")
        let mallory = try bus.peer(.dealer, "mallory", routingID: bytes("shared-id"))
        try mallory.send(request)
        let malloryAnswer = try #require(try await mallory.receive())
        #expect(String(decoding: malloryAnswer.joined(), as: UTF8.self).contains("forbidden"), "\(malloryAnswer)")
        #expect(try await bus.statistics().securityRefusals["request_not_allowed"] == 1)
    }

    @Test func anAgentKeyMayNotTakeAnotherKeysInstanceId() async throws {
        let bus = try SecureBus(entries: [("alice", .agent, []), ("mallory", .agent, [])])
        let alice = try bus.peer(.dealer, "alice")
        try alice.send(Self.ready(["work"], instance: "alice-1"))
        let operatorClient = bus.client("operator")
        for _ in 0..<500 where try await bus.directory(of: operatorClient).agents.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        let mallory = try bus.peer(.dealer, "mallory")
        try mallory.send(Self.ready(["work"], instance: "alice-1"))
        let answer = try #require(try await mallory.receiveSkippingHeartbeats())
        #expect(answer.count == 3 && answer[2] == [0x06], "DISCONNECT")
        let agents = try await bus.directory(of: operatorClient).agents
        #expect(agents.count == 1 && agents.first?.instance == "alice-1", "alice keeps her registration")
        #expect(try await bus.statistics().securityRefusals["instance_of_another_key"] == 1)
    }

    @Test func forgedGateEventsNeverReachSubscribersButAnAgentsOwnEventsDo() async throws {
        let bus = try SecureBus(entries: [("mallory", .agent, [])])
        let subscriber = Subscriber(endpoints: bus.broker.endpoints, credentials: bus.credentials("operator"))
        let events = try await subscriber.subscribe([""])
        let publisher = Publisher(endpoints: bus.broker.endpoints, source: "mallory", credentials: bus.credentials("mallory"))
        #expect(try await publisher.waitUntilConnected(timeout: .generous))
        // Until the subscription has reached the broker, events are lost: publish the allowed
        // topic until the broker has both, then the forged one, then the allowed one again.
        let received = Task { () -> [String] in
            var topics: [String] = []
            for await event in events {
                topics.append(event.topic)
                if event.topic == "market.close" { break }
            }
            return topics
        }
        for _ in 0..<200 {
            try await publisher.publish("market.tick", ["price": 1.0])
            try await Task.sleep(for: .milliseconds(10))
            if try await bus.statistics().eventsReachASubscriber { break }
        }
        try await publisher.publish("workflow.failed", FailedRun(run: "r-1", reason: "forged"))
        try await publisher.publish("market.close", ["price": 2.0])
        let topics = await received.value
        #expect(!topics.contains("workflow.failed"))
        #expect(topics.last == "market.close")
        #expect(try await bus.statistics().securityRefusals["topic_not_allowed"] == 1)
    }

    /// The broker remembers what each key may ask; a changed access list takes effect on the next
    /// request all the same, for names the key asked before in both directions.
    @Test func aClientKeysChangedRequestsApplyToNamesItAlreadyAsked() async throws {
        let bus = try SecureBus(entries: [("dashboard", .client, [])])
        let dashboard = bus.client("dashboard")
        func refused(_ capability: String) async -> Bool {
            do {
                _ = try await dashboard.request(capability, body: [[]], timeout: .milliseconds(200))
            } catch RequestError.failed(let error) {
                return error.code == .forbidden
            } catch {}
            return false  // served, or nobody offers it: allowed either way
        }
        #expect(await !refused("report.daily"), "a client key with no request patterns may ask anything")
        #expect(await !refused("billing.monthly"))
        var list = try bus.keys.accessList()
        try list.add(AccessEntry(name: "dashboard", publicKey: bus.named["dashboard"]!.publicKey, role: .client, requests: ["billing.*"]))
        try bus.keys.save(list)
        // The broker reads the changed file within a tick.
        var narrowed = false
        for _ in 0..<100 where !narrowed {
            narrowed = await refused("report.daily")
        }
        #expect(narrowed, "a name it asked before is refused once the list narrows its requests")
        #expect(await !refused("billing.monthly"), "what the new list allows still goes through")
    }

    @Test func aRevokedKeyIsRefusedAndItsAgentDisconnected() async throws {
        let bus = try SecureBus(entries: [("worker", .agent, [])])
        let worker = try bus.peer(.dealer, "worker")
        try worker.send(Self.ready(["work"], instance: "worker-1"))
        let operatorClient = bus.client("operator")
        for _ in 0..<500 where try await bus.directory(of: operatorClient).agents.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        var list = try bus.keys.accessList()
        try list.revoke("worker")
        try bus.keys.save(list)
        // The broker notices the file within a tick: the agent is told to go, and removed.
        let answer = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(answer.count == 3 && answer[2] == [0x06], "DISCONNECT")
        #expect(try await bus.directory(of: operatorClient).agents.isEmpty)
        // Its next connection is refused by the handshake itself.
        let again = bus.client("worker")
        await #expect(throws: RequestError.self) { _ = try await again.statistics(timeout: .milliseconds(500)) }
        #expect(try await bus.statistics().securityRefusals["revoked_key"] ?? 0 >= 1)
    }

    /// The routing thread never reads the access list itself. While a changed file's read is
    /// stalled (here a named pipe put in its place, which nobody writes yet, as a hung file
    /// system would stall it), the broker routes on with the list it has, and puts the new one
    /// in force once it has been read.
    @Test func aStalledReadOfTheAccessListNeverStallsRouting() async throws {
        let bus = try SecureBus(entries: [("worker", .agent, [])])
        let worker = try bus.peer(.dealer, "worker")
        try worker.send(Self.ready(["work"], instance: "worker-1"))
        let probe = try bus.peer(.dealer, "operator")
        #expect(try await probe.waitUntilOffered("work"))
        var list = try bus.keys.accessList()
        try list.revoke("worker")
        let pipe = StalledFile(replacing: bus.directory.appendingPathComponent("access.yaml").path)
        defer { pipe.release() }
        try pipe.stall()
        // The broker ticks every 20 ms: within half a second every tick has found the file changed.
        // Each answer shows the routing thread is not waiting for the read; it stops at the first
        // probe that is not answered "offered".
        let stalled = ContinuousClock.now
        var answers: [Bool] = []
        while ContinuousClock.now - stalled < .milliseconds(500) || answers.count < 5, !answers.contains(false) {
            answers.append(try await probe.isOffered("work"))
        }
        #expect(answers.count >= 5 && !answers.contains(false), "answered, and the agent kept until the new list is read")
        #expect(try await until { pipe.feed(list.yaml) }, "the broker reads the changed file")
        let answer = try #require(try await worker.receiveSkippingHeartbeats())
        #expect(answer.count == 3 && answer[2] == [0x06], "DISCONNECT once the new list is read")
    }
}

/// A named pipe put in a file's place: whoever reads the file waits until `feed` writes it.
private final class StalledFile: Sendable {
    let path: String

    init(replacing path: String) {
        self.path = path
    }

    /// Puts an empty named pipe in the file's place (atomically, as `colony keys` saves files).
    func stall() throws {
        let fifo = path + ".fifo"
        guard mkfifo(fifo, 0o600) == 0, rename(fifo, path) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Writes `text` and ends the file, if a reader is waiting for it; false if none is yet.
    func feed(_ text: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Ends a read still waiting (so no thread stays blocked after a failed test).
    func release() { _ = feed("") }
}
