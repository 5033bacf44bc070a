import ColonyCore
import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Foundation
import Logging
import Testing
@testable import ColonyAgent

@Suite struct CodingTests {
    struct Operands: Codable, Sendable { var a: Double; var b: Double }

    @Test func decodingErrorsNameTheMissingField() {
        #expect(throws: WireError(.badRequest, "bad input: missing field 'b'")) {
            _ = try JSONCoding.decode(Operands.self, from: Array(#"{"a":1}"#.utf8))
        }
        #expect(throws: WireError.self) { _ = try JSONCoding.decode(Operands.self, from: Array("nope".utf8)) }
        #expect(throws: Never.self) { _ = try JSONCoding.decode(Empty.self, from: []) }
    }

    struct Order: Codable, Sendable {
        var item: String
        var quantity: Int
        var note: String?
        var tags: [String]
        var delivery: Address
        struct Address: Codable, Sendable { var city: String; var express: Bool? }
    }

    @Test func inputSchemasAreInferredFromCodableTypes() throws {
        let schema = try #require(InputSchema.infer(Order.self))
        let expected: JSONValue = [
            "type": "object", "required": ["item", "quantity", "tags", "delivery"],
            "properties": [
                "item": ["type": "string"], "quantity": ["type": "integer"], "note": ["type": "string"],
                "tags": ["type": "array", "items": ["type": "string"]],
                "delivery": ["type": "object", "required": ["city"], "properties": ["city": ["type": "string"], "express": ["type": "boolean"]]],
            ],
        ]
        #expect(schema == expected)
        #expect(InputSchema.infer(Empty.self) == nil && InputSchema.infer(JSONValue.self) == nil)
        // A type that checks values while decoding cannot be inferred: no schema rather than a wrong one.
        enum Size: String, Codable { case small, large }
        struct Sized: Codable { var size: Size }
        #expect(InputSchema.infer(Sized.self) == nil)
        // Declared capabilities carry their description.
        var agent = Agent(name: "shop")
        agent.capability("shop.order", summary: "Places an order") { (_: Order, _) in Empty() }
        #expect(agent.descriptions["shop.order"] == CapabilityDescription(summary: "Places an order", input: expected))
    }

    @Test func descriptionsTravelAsBoundedJSON() throws {
        let descriptions = ["a.b": CapabilityDescription(summary: String(repeating: "s", count: 2_000), input: ["type": "object"])]
        let text = try #require(CapabilityDescriptions.encoded(descriptions))
        let decoded = try CapabilityDescriptions.decoded(text, for: ["a.b", "other"])
        #expect(decoded.keys.sorted() == ["a.b"] && decoded["a.b"]?.input == ["type": "object"])
        #expect(try #require(decoded["a.b"]?.summary).utf8.count <= CapabilityDescriptions.maximumSummaryBytes)
        let huge = ["a.b": CapabilityDescription(summary: nil, input: .string(String(repeating: "x", count: CapabilityDescriptions.maximumBytes)))]
        #expect(CapabilityDescriptions.encoded(huge) == nil)
        #expect(throws: CapabilityDescriptions.DescriptionError.self) { _ = try CapabilityDescriptions.decoded("[1]", for: ["a.b"]) }
    }

    @Test func wireErrorsMapToDistinctRequestErrors() {
        #expect(RequestError(WireError(.noAgent, "none"), capability: "x") == .noAgent(capability: "x", message: "none"))
        #expect(RequestError(WireError(.timeout, "slow"), capability: "x") == .timedOut(capability: "x", message: "slow"))
        #expect(RequestError(WireError(.badRequest, "bad"), capability: "x") == .failed(WireError(.badRequest, "bad")))
    }

    @Test func repliesDecodeOrSayWhatWasExpected() throws {
        let reply = Reply(header: nil, body: [Array(#"{"a":1,"b":2}"#.utf8)])
        #expect(try reply.decode(Operands.self).b == 2)
        #expect(throws: RequestError.self) { _ = try Reply(header: nil, body: [[1, 2]]).decode(Operands.self) }
    }

    @Test func capabilitiesKeepDeclarationOrder() {
        var agent = Agent(name: "a", concurrency: 0)
        agent.rawCapability("z") { body, _ in body }
        agent.rawCapability("a") { body, _ in body }
        agent.rawCapability("z") { body, _ in body }
        #expect(agent.capabilityNames == ["z", "a"])
        #expect(agent.concurrency == 1)
    }
}

/// The SDK against a real broker in this process (on its own thread) and real sockets.
@Suite(.serialized) struct InProcessAgentTests {
    struct Name: Codable, Sendable { var value: String? }

    @Test func requestsMadeInsideAHandlerInheritTheCorrelationID() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let endpoints = broker.endpoints
        var agent = Agent(name: "chain", concurrency: 4)
        agent.capability("inner") { (_: Empty, context) in Name(value: context.metadata.correlationID) }
        agent.capability("outer") { (_: Empty, _) in
            try await ColonyClient(endpoints: endpoints).request("inner", Empty(), as: Name.self)
        }
        let running = Task { [agent, options = testAgentOptions(endpoints)] in try await agent.run(options: options) }
        defer { running.cancel() }
        let client = ColonyClient(endpoints: endpoints)
        var answer: Name?
        for _ in 0..<100 where answer == nil {
            answer = try? await client.request("outer", Empty(), as: Name.self, timeout: .seconds(2), metadata: RequestMetadata(correlationID: "run-9"))
        }
        #expect(answer?.value == "run-9")
    }

    @Test func concurrencyLetsOneAgentHoldManyRequests() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let endpoints = broker.endpoints
        let options = testAgentOptions(endpoints)
        // Handlers wait for the test to let them go: all eight must be held at once, however
        // slowly the machine gets them there.
        let gate = HandlerGate()
        var agent = Agent(name: "slow", concurrency: 8)
        agent.capability("slow.wait") { (_: Empty, _) in
            await gate.wait()
            return Empty()
        }
        let running = Task { [agent, options] in try await agent.run(options: options) }
        defer { running.cancel() }
        let client = ColonyClient(endpoints: endpoints)
        let held = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await client.request("slow.wait", Empty(), as: Empty.self, timeout: .seconds(120)) } }
                try await group.waitForAll()
            }
        }
        var busy = 0
        for _ in 0..<6000 where busy < 8 {
            busy = (try? await client.directory(timeout: .generous).agents.first?.busy) ?? 0
            try await Task.sleep(for: .milliseconds(10))
        }
        await gate.open()
        #expect(busy == 8, "all eight requests are held at once by the one agent")
        try await held.value
    }
}

/// Clients and subscribers that go away must release their sockets (and file descriptors).
@Suite(.serialized) struct ResourceTests {
    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    @Test func droppedClientsCloseTheirSockets() async throws {
        var logger = Logger(label: "broker")
        logger.logLevel = .critical
        let broker = try Broker.start(BrokerConfiguration(
            endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0", publish: "tcp://127.0.0.1:0", subscribe: "tcp://127.0.0.1:0")
        ), logger: logger)
        defer { broker.stop() }
        func useClients(_ count: Int) async throws {
            for _ in 0..<count {
                let client = ColonyClient(endpoints: broker.endpoints)
                _ = try await client.statistics(timeout: .generous)
                let subscriber = Subscriber(endpoints: broker.endpoints)
                _ = try await subscriber.subscribe(["x."])
            }
        }
        try await useClients(5)
        try await Task.sleep(for: .milliseconds(200))
        let before = openDescriptors()
        try await useClients(40)
        try await Task.sleep(for: .milliseconds(300))
        let after = openDescriptors()
        #expect(after - before < 20, "\(after - before) descriptors leaked by 40 clients and subscribers")
    }
}

/// Holds handlers until the test opens it.
actor HandlerGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        guard !isOpen else { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
