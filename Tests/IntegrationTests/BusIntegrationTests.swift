import ColonyCore
import ColonyAgent
import ColonyTestSupport
import ColonyWire
import Foundation
import Testing

/// The bus end to end: a real `colony broker`, real agent processes, the SDK client.
@Suite(.serialized) struct BusIntegrationTests {
    struct Operands: Codable, Sendable { var a: Double; var b: Double }
    struct Sum: Codable, Sendable { var result: Double }
    struct Sleep: Codable, Sendable { var ms: Int }
    struct StreamRequest: Codable, Sendable { var text: String; var count: Int }

    @Test func requestReplyAndAgentErrors() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        _ = try bus.startAgent("math")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "math.add"), "\(bus.harness.log(of: "broker"))")

        let sum = try await client.request("math.add", Operands(a: 10, b: 32), as: Sum.self)
        #expect(sum.result == 42)
        let product = try await client.request("math.mul", Operands(a: 6, b: 7), as: Sum.self)
        #expect(product.result == 42)
        await #expect(throws: RequestError.failed(WireError(ErrorCode("division_by_zero"), "cannot divide 7 by zero"))) {
            _ = try await client.request("math.div", Operands(a: 7, b: 0), as: Sum.self)
        }
        await #expect {
            _ = try await client.request("math.add", ["a": 1], as: Sum.self)
        } throws: { error in
            guard case .failed(let wire) = error as? RequestError else { return false }
            return wire.code == .badRequest && wire.message.contains("'b'")
        }
        // Many concurrent requests over one client all come back, each to its caller.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let reply = try await client.request("math.add", Operands(a: Double(index), b: 1), as: Sum.self)
                    return reply.result == Double(index + 1)
                }
            }
            for try await correct in group { #expect(correct) }
        }
    }

    @Test func noAgentTimeoutAndUnreachableAreDistinct() async throws {
        let bus = try await TestBus(expiryMs: 300)
        defer { bus.stop() }
        _ = try bus.startAgent("echo")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "echo.sleep"))

        await #expect {
            _ = try await client.request("nobody.offers.this", body: [Array("{}".utf8)], timeout: .seconds(5))
        } throws: { error in
            if case .noAgent = error as? RequestError { return true }
            return false
        }
        await #expect {
            _ = try await client.request("echo.sleep", Sleep(ms: 3000), as: Sleep.self, timeout: .milliseconds(200))
        } throws: { error in
            if case .timedOut = error as? RequestError { return true }
            return false
        }
        let nowhere = ColonyClient(endpoints: bus.harness.privateEndpoints("nobody"), connectTimeout: .milliseconds(300))
        await #expect(throws: RequestError.brokerUnreachable(endpoint: nowhere.endpoints.requests)) {
            _ = try await nowhere.request("echo", body: [[1]], timeout: .seconds(5))
        }
    }

    @Test func streamedPartialRepliesArriveInOrder() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        _ = try bus.startAgent("echo")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "echo.stream"))
        let body = try JSONEncoder().encode(StreamRequest(text: "hi", count: 4))
        var replies: [Reply] = []
        for try await reply in client.stream("echo.stream", body: [Array(body)]) { replies.append(reply) }
        #expect(replies.map(\.isPartial) == [true, true, true, false])
        #expect(replies.map(\.text) == (0..<4).map { "{\"index\":\($0),\"text\":\"hi\"}" })
    }

    @Test func requestHeldByAKilledAgentIsServedByAnother() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        let doomed = try bus.startAgent("echo")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "echo.sleep"))
        // Long enough that the first agent cannot finish before it is killed, however slow the machine.
        let pending = Task { try await client.request("echo.sleep", Sleep(ms: 5000), as: Sleep.self, timeout: .seconds(60)) }
        let held = try await eventually {
            try await client.directory(timeout: .generous).agents.first { $0.busy > 0 }.map { _ in true }
        }
        #expect(held == true, "the first agent holds the request")
        _ = try bus.startAgent("echo")
        #expect(try await waitForAgents(client, capability: "echo.sleep", count: 2))
        bus.harness.signal(doomed, SIGKILL)
        let reply = try await pending.value
        #expect(reply.ms == 5000)
        let statistics = try await client.statistics(timeout: .generous)
        #expect(statistics.requestsRedispatched == 1, "\(bus.harness.log(of: "broker"))")
    }

    @Test func agentsComeBackAfterTheBrokerRestarts() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        _ = try bus.startAgent("math")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "math.add"))
        #expect(try await client.request("math.add", Operands(a: 1, b: 1), as: Sum.self).result == 2)

        let first = try #require(bus.harness.processes.first { $0.name == "broker" }?.process)
        bus.harness.signal(first, SIGTERM)
        #expect(await bus.harness.waitForExit(first))
        #expect(ProcessHarness.exitCode(ofEnded: first) == 0)
        try bus.startBroker()
        #expect(try await waitForAgents(client, capability: "math.add"), "\(bus.harness.log(of: "math"))")
        #expect(try await client.request("math.add", Operands(a: 2, b: 2), as: Sum.self).result == 4)
    }

    @Test func gracefulShutdownFinishesInFlightWork() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        let agent = try bus.startAgent("echo")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "echo.sleep"))
        let pending = Task { try await client.request("echo.sleep", Sleep(ms: 800), as: Sleep.self, timeout: .seconds(20)) }
        #expect(try await eventually { try await client.directory(timeout: .generous).agents.first { $0.busy > 0 }.map { _ in true } } == true)
        bus.harness.signal(agent, SIGTERM)
        #expect(try await pending.value.ms == 800)
        #expect(await bus.harness.waitForExit(agent))
        #expect(ProcessHarness.exitCode(ofEnded: agent) == 0, "\(bus.harness.log(of: "echo"))")
        let statistics = try await client.statistics(timeout: .generous)
        #expect(statistics.requestsRedispatched == 0)
    }

    @Test func eventsReachSubscribersWithTheirHeaders() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        let client = bus.client
        _ = try await eventually { try await client.statistics(timeout: .generous) }
        let subscriber = Subscriber(endpoints: bus.endpoints)
        let events = try await subscriber.subscribe(["market.", "agent."])
        let publisher = Publisher(endpoints: bus.endpoints, source: "test")
        try await publisher.connect()
        // Slow joiners: publish until a tick arrives, which proves the subscription has reached the
        // broker (its event count says only that the broker got the events). After 100 tries the
        // stream is closed, and so is it after a minute in all, so a lost event fails, never hangs.
        let publishing = Task {
            for attempt in 0..<100 {
                try await publisher.publish("market.tick", payload: Array("{\"n\":\(attempt)}".utf8), metadata: RequestMetadata(correlationID: "run-7"))
                try await publisher.publish("ignored.topic", payload: Array("{}".utf8))
                try await Task.sleep(for: .milliseconds(30))
            }
            await subscriber.close()
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            await subscriber.close()
        }
        defer { watchdog.cancel() }
        var arrivals = events.makeAsyncIterator()
        var seen: [Event] = []
        while let event = await arrivals.next() {
            seen.append(event)
            if event.topic == "market.tick" { break }
        }
        publishing.cancel()
        _ = try bus.startAgent("math")
        while let event = await arrivals.next() {
            seen.append(event)
            if event.topic == "agent.joined" { break }
        }
        let tick = try #require(seen.first { $0.topic == "market.tick" })
        #expect(tick.header?.correlationID == "run-7")
        #expect(tick.header?.agent == "test")
        #expect(!seen.contains { $0.topic == "ignored.topic" })
        let joined = try JSONDecoder().decode(AgentEvent.self, from: Data(try #require(seen.last { $0.topic == "agent.joined" }).payload))
        #expect(joined.agent == "math" && joined.capabilities.contains("math.div"))
        await subscriber.close()
    }

    @Test(.enabled(if: pythonWithTheSDK() != nil, "no .venv with the Python SDK: run scripts/setup"))
    func aPythonAgentOnTheSDKIsAColonyAgent() async throws {
        let bus = try await TestBus()
        defer { bus.stop() }
        let python = try #require(pythonWithTheSDK())
        try bus.harness.launch(python, [pythonAgent("greeter.py").path, bus.endpoints.requests, "--heartbeat-ms", "100"], name: "greeter")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "py.greet"), "\(bus.harness.log(of: "greeter"))")
        struct Greeting: Codable { var greeting: String }
        let reply = try await client.request("py.greet", ["name": "Ada"], as: Greeting.self)
        #expect(reply.greeting == "Hello, Ada!")
        // Its errors are errors (docs/PROTOCOL.md: a JSON body with a top-level error object).
        let failed = try await bus.harness.run(["request", "py.greet", "[1]"] + bus.endpoints.flags)
        #expect(failed.status == 1 && failed.output.contains("bad_request"), "\(failed.output)")
    }

    @Test func cliExitCodesMeanSomething() async throws {
        let bus = try await TestBus(expiryMs: 300)
        defer { bus.stop() }
        _ = try bus.startAgent("math")
        let client = bus.client
        #expect(try await waitForAgents(client, capability: "math.add"))
        let ok = try await bus.harness.run(["request", "math.add", #"{"a":10,"b":32}"#] + bus.endpoints.flags)
        #expect(ok.status == 0 && ok.output.contains(#"{"result":42}"#), "\(ok.output)")
        let agentError = try await bus.harness.run(["request", "math.div", #"{"a":1,"b":0}"#] + bus.endpoints.flags)
        #expect(agentError.status == 1 && agentError.output.contains("division_by_zero"), "\(agentError.output)")
        // A bad input is answered with what the capability expects, as its agent described it.
        let badInput = try await bus.harness.run(["request", "math.add", #"{"a":1}"#] + bus.endpoints.flags)
        #expect(badInput.status == 1, "\(badInput.output)")
        #expect(badInput.output.contains("bad input: missing field 'b'") && !badInput.output.contains("Operands"), "\(badInput.output)")
        #expect(badInput.output.contains("math.add: Adds b to a") && badInput.output.contains("math.add expects {a: number, b: number}"), "\(badInput.output)")
        let info = try await bus.harness.run(["agent", "info", "math"] + bus.endpoints.flags)
        #expect(info.output.contains("Divides a by b") && info.output.contains("input: {a: number, b: number}"), "\(info.output)")
        let usage = try await bus.harness.run(["request", "math.add", "{not json"] + bus.endpoints.flags)
        #expect(usage.status == 2, "\(usage.output)")
        for timeout in ["inf", "1e300", "nan", "-1", "0", "200", "1e300s", "-1s"] {
            let refused = try await bus.harness.run(["request", "math.add", "{}", "--timeout", timeout] + bus.endpoints.flags)
            #expect(refused.status == 2 && refused.output.contains("--timeout"), "\(timeout): \(refused.output)")
        }
        let noAgent = try await bus.harness.run(["request", "nobody", "{}"] + bus.endpoints.flags)
        #expect(noAgent.status == 3, "\(noAgent.output)")
        // A typo is answered at once (the broker's first agent expiries aside), with the name meant.
        var typo = try await bus.harness.run(["request", "math.ad", "{}", "--timeout", "1h"] + bus.endpoints.flags)
        for _ in 0..<20 where !typo.output.contains("did you mean") {
            typo = try await bus.harness.run(["request", "math.ad", "{}", "--timeout", "1h"] + bus.endpoints.flags)
        }
        #expect(typo.status == 3 && typo.output.contains("no agent offers math.ad") && typo.output.contains("did you mean math.add?"), "\(typo.output)")
        let overlong = try await bus.harness.run(["watch", String(repeating: "t", count: Topics.maximumSubscriptionPrefixBytes + 1)] + bus.endpoints.flags)
        #expect(overlong.status == 2 && overlong.output.contains("at most 1024 bytes"), "\(overlong.output)")
        let empty = try await bus.harness.run(["request", ""] + bus.endpoints.flags)
        #expect(empty.status == 2 && empty.output.contains("the capability is empty"), "\(empty.output)")
        let unreachable = try await bus.harness.run(["request", "math.add", "{}", "--endpoint", bus.harness.privateEndpoints("nobody").requests, "--timeout", "1s"])
        #expect(unreachable.status == 5, "\(unreachable.output)")
        let published = try await bus.harness.run(["publish", "cli.test", "{}", "--connect-wait-ms", "0"] + bus.endpoints.flags)
        #expect(published.status == 0, "\(published.output)")
        let lost = try await bus.harness.run(["publish", "cli.test", "{}", "--endpoint", bus.harness.privateEndpoints("nobody").requests, "--connect-timeout", "500ms"])
        #expect(lost.status == 5 && lost.output.contains("broker unreachable"), "\(lost.output)")
        let list = try await bus.harness.run(["agent", "list", "--json"] + bus.endpoints.flags)
        #expect(list.status == 0 && list.output.contains("math.mul"), "\(list.output)")
        let health = try await bus.harness.run(["system", "health"] + bus.endpoints.flags)
        #expect(health.status == 0 && health.output.contains("math.add"), "\(health.output)")
    }
}

/// The repository's virtual environment's Python (`scripts/setup` makes it), if it can import
/// the Python SDK.
func pythonWithTheSDK() -> URL? {
    let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.venv/bin/python").standardized
    let process = Process()
    process.executableURL = python
    process.arguments = ["-c", "import colony, zmq"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? python : nil
}

/// An example agent of agents/python.
func pythonAgent(_ file: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../agents/python/\(file)").standardized
}
