import ColonyBroker
import ColonyTestSupport
import ColonyWire
import Foundation
import Logging
import Testing
@testable import ColonyAgent

/// The agent side of the failure gate, against a real broker and real sockets.
@Suite(.serialized) struct FailureGateAgentTests {
    actor Journal {
        var handled: [String] = []
        var failed: [String] = []
        func handle(_ run: String?) { handled.append(run ?? "-") }
        func fail(_ run: String) { failed.append(run) }
    }

    struct Tick: Codable, Sendable { var n: Int }
    struct Outcome: Codable, Sendable { var result: String }

    func fail(_ run: String, _ client: ColonyClient) async throws {
        let body = try JSONEncoder().encode(FailedRun(run: run, reason: "cash balance negative"))
        _ = try await client.request(ManagementService.failRun, body: [Array(body)], timeout: .generous)
    }

    @Test func eventHandlersOfAFailedRunAreSkipped() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let journal = Journal()
        var agent = Agent(name: "signals")
        agent.rawCapability("signals.ping") { body, _ in body }  // registers it, so it reports its skips
        agent.on("market.tick") { (_: Tick, context) in await journal.handle(context.metadata.correlationID) }
        agent.onRunFailed { failed in await journal.fail(failed.run) }
        let options = testAgentOptions(broker.endpoints)
        let running = Task { [agent, options] in try await agent.run(options: options) }
        defer { running.cancel() }
        let client = ColonyClient(endpoints: broker.endpoints)
        let publisher = Publisher(endpoints: broker.endpoints, source: "test")
        // Wait until the agent's subscription is live.
        #expect(try await until {
            try? await publisher.publish("market.tick", Tick(n: 0), metadata: RequestMetadata(correlationID: "warm-up"))
            return await journal.handled.contains("warm-up")
        })
        try await fail("run-1", client)
        #expect(try await until { await journal.failed.contains("run-1") }, "the agent heard of the failure")
        try await publisher.publish("market.tick", Tick(n: 1), metadata: RequestMetadata(correlationID: "run-1"))
        try await publisher.publish("market.tick", Tick(n: 2), metadata: RequestMetadata(correlationID: "run-2"))
        #expect(try await until { await journal.handled.contains("run-2") })
        #expect(await !journal.handled.contains("run-1"), "no handler started for the failed run")
        #expect(try await until { (try? await client.directory(timeout: .generous).agents.first?.skipped["failed"]) == 1 }, "the skip is counted and reported")
    }

    @Test func aLateAgentLearnsTheFailuresItMissed() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let client = ColonyClient(endpoints: broker.endpoints)
        try await fail("run-3", client)
        let journal = Journal()
        var agent = Agent(name: "late")
        agent.rawCapability("late.work") { body, _ in body }
        agent.onRunFailed { failed in await journal.fail(failed.run) }
        let running = Task { [agent, options = testAgentOptions(broker.endpoints)] in try await agent.run(options: options) }
        defer { running.cancel() }
        #expect(try await until { await journal.failed == ["run-3"] })
    }

    /// Graceful shutdown waits for event handlers and `onRunFailed` callbacks that are running,
    /// not only for request handlers: when `run` returns, both have finished.
    @Test func shutdownLetsEventHandlersAndCallbacksFinish() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let journal = Journal()
        let started = Journal()
        var agent = Agent(name: "slow-events")
        agent.on("slow.tick") { (tick: Tick, context) in
            guard tick.n > 0 else { return await journal.handle("warm-up") }
            await started.handle(context.metadata.correlationID)
            try await Task.sleep(for: .milliseconds(1500))
            await journal.handle(context.metadata.correlationID)
        }
        agent.onRunFailed { failed in
            await started.fail(failed.run)
            try? await Task.sleep(for: .milliseconds(1500))
            await journal.fail(failed.run)
        }
        var options = testAgentOptions(broker.endpoints)
        options.shutdownGrace = .seconds(20)
        let running = Task { [agent, options] in try await agent.run(options: options) }
        defer { running.cancel() }
        let publisher = Publisher(endpoints: broker.endpoints, source: "test")
        #expect(try await until {
            try? await publisher.publish("slow.tick", Tick(n: 0))
            return await journal.handled.contains("warm-up")
        })
        try await publisher.publish("slow.tick", Tick(n: 1), metadata: RequestMetadata(correlationID: "run-7"))
        try await fail("run-8", ColonyClient(endpoints: broker.endpoints))
        #expect(try await until { await started.handled == ["run-7"] }); #expect(try await until { await started.failed == ["run-8"] })
        running.cancel()
        try await running.value
        #expect(await journal.handled.contains("run-7"), "the event handler finished before the agent stopped")
        #expect(await journal.failed == ["run-8"], "the onRunFailed callback finished before the agent stopped")
    }

    /// Anyone can publish `workflow.failed`; the gate acts on it only once the broker confirms
    /// the run ended (only the orchestrator tells the broker).
    @Test func aForgedFailureEventDoesNotStopALiveRun() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let journal = Journal()
        var agent = Agent(name: "worker")
        agent.capability("work.do") { (_: Empty, context) in
            await journal.handle(context.metadata.correlationID)
            return Outcome(result: "done")
        }
        agent.on("market.tick") { (_: Tick, context) in await journal.handle(context.metadata.correlationID) }
        agent.onRunFailed { failed in await journal.fail(failed.run) }
        let running = Task { [agent, options = testAgentOptions(broker.endpoints)] in try await agent.run(options: options) }
        defer { running.cancel() }
        let client = ColonyClient(endpoints: broker.endpoints)
        let publisher = Publisher(endpoints: broker.endpoints, source: "broker")
        #expect(try await until {
            try? await publisher.publish("market.tick", Tick(n: 0), metadata: RequestMetadata(correlationID: "warm-up"))
            return await journal.handled.contains("warm-up")
        })
        try await publisher.publish(Topics.workflowFailed, FailedRun(run: "live-run", reason: "forged"), metadata: RequestMetadata(correlationID: "live-run"))
        try await fail("dead-run", client)
        #expect(try await until { await journal.failed.contains("dead-run") }, "a real failure is learned")
        #expect(await journal.failed == ["dead-run"], "the forged one is not")
        let outcome = try await client.request("work.do", Empty(), as: Outcome.self, metadata: RequestMetadata(correlationID: "live-run"))
        #expect(outcome.result == "done")
    }

    @Test func aRunningHandlerCanSeeItsRunFailAndStop() async throws {
        let broker = try startTestBroker()
        defer { broker.stop() }
        let journal = Journal()
        var agent = Agent(name: "long")
        agent.capability("long.task") { (_: Empty, context) in
            for _ in 0..<1000 {
                if await context.runHasFailed() {
                    await journal.fail("stopped early")
                    return Outcome(result: "stopped early")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return Outcome(result: "ran to the end")
        }
        let options = testAgentOptions(broker.endpoints)
        let running = Task { [agent, options] in try await agent.run(options: options) }
        defer { running.cancel() }
        let client = ColonyClient(endpoints: broker.endpoints)
        #expect(try await until { (try? await client.directory(timeout: .generous).agents.count) == 1 })
        let call = Task {
            try await client.request("long.task", Empty(), as: Outcome.self, timeout: .seconds(20), metadata: RequestMetadata(correlationID: "run-5"))
        }
        #expect(try await until { (try? await client.directory(timeout: .generous).agents.first?.busy) == 1 })
        try await fail("run-5", client)
        // The handler stopped early, and what it returned after the failure is not passed off
        // as a success of the run.
        await #expect {
            _ = try await call.value
        } throws: { error in
            guard case .failed(let wire) = error as? RequestError else { return false }
            return wire.code == .workflowFailed && wire.message.contains("while the handler ran")
        }
        #expect(await journal.failed == ["stopped early"])
        await #expect {
            _ = try await client.request("long.task", Empty(), as: Outcome.self, metadata: RequestMetadata(correlationID: "run-5"))
        } throws: { error in
            guard case .failed(let wire) = error as? RequestError else { return false }
            return wire.code == .workflowFailed
        }
    }
}
