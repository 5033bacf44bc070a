import ColonyAgent
import ColonyCore
import ColonyEngine
import ColonyOrchestrator
import Foundation
import Logging

/// How fast a run's end reaches the bus: the orchestrator's `runEnded` (mmi.gate.fail, then the
/// broker's `workflow.failed` event) until a subscriber has it, next to a plain event published
/// and received over the same broker, alternating, `rounds` times each.
enum GateLatency {
    static func run(_ harness: BenchHarness, rounds: Int) async throws {
        let publisher = Publisher(endpoints: harness.endpoints, source: "bench", credentials: nil)
        guard try await publisher.waitUntilConnected(timeout: .seconds(10)) else { fatalError("the publisher did not connect") }
        let subscriber = Subscriber(endpoints: harness.endpoints, credentials: nil)
        var events = try await subscriber.subscribe(["bench.", "workflow.failed"]).makeAsyncIterator()
        // The subscription reaches the broker a little after `subscribe`: ping until one arrives.
        let warmUp = Task {
            while !Task.isCancelled {
                try? await publisher.publish("bench.warmup", payload: [])
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        _ = await events.next()
        warmUp.cancel()
        await warmUp.value
        let dispatcher = BusDispatcher(client: harness.client, logger: Logger(label: "bench"))
        var plain: [Double] = [], gate: [Double] = []
        for round in 0..<rounds {
            let published = ContinuousClock.now
            try await publisher.publish("bench.ping", payload: Array("\(round)".utf8))
            while let event = await events.next(), event.topic != "bench.ping" {}
            plain.append((ContinuousClock.now - published).milliseconds)
            let ended = ContinuousClock.now
            await dispatcher.runEnded(RunID("bench-gate-\(round)"), status: .failed, error: StepError(code: .internal, message: "benchmark"))
            while let event = await events.next(), event.topic != "workflow.failed" {}
            gate.append((ContinuousClock.now - ended).milliseconds)
        }
        await subscriber.close()
        print("failure gate: \(rounds) runs ended through mmi.gate.fail vs \(rounds) plain events, publish -> subscriber")
        print(distribution("plain event ms:", plain))
        print(distribution("gate ms:", gate))
    }
}
