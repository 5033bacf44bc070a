import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyTestSupport
import ColonyWire
import ColonyWorkflow
import Foundation
import Testing

/// The run queue and named resources with real processes: limits hold, priorities decide the
/// order, and whatever waits says why.
@Suite(.serialized) struct QueueIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: slow
        steps: [{id: wait, capability: echo.sleep, params: {ms: 600}}]
      - name: gpu_job
        inputs: {ms: {type: integer, default: 1500}}
        steps:
          - {id: prepare, capability: echo, params: {x: 1}}
          - {id: train, capability: echo.sleep, depends_on: [prepare], resources: [gpu-1], params: {ms: "${input.ms}"}}
    """

    static func overlaps(_ spans: [(Date, Date)]) -> Int {
        // The most spans in progress at one moment.
        let events = spans.flatMap { [($0.0, 1), ($0.1, -1)] }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var current = 0, most = 0
        for (_, delta) in events {
            current += delta
            most = max(most, current)
        }
        return most
    }

    @Test func theQueueKeepsTheLimitAndAdmitsByPriority() async throws {
        let deployment = try await Deployment(workflows: Self.workflows, orchestratorSettings: "max_concurrent_runs: 2\nresources: {gpu-1: 1}")
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        var low: [RunRecord] = []
        for _ in 0..<4 { low.append(try await deployment.start("slow")) }
        let urgent = try await deployment.bus.client.request(
            OrchestratorAPI.run, OrchestratorAPI.RunRequest(workflow: "slow", input: nil, priority: 10), as: RunRecord.self, timeout: .generous
        )
        // Whatever is still queued now waits behind the urgent run (the queue is ordered by
        // priority, then age): read it from the engine itself, so no timing is assumed.
        let queued = try await deployment.bus.client.request(ScheduleAPI.queue, Empty(), as: ScheduleAPI.QueueReply.self, timeout: .generous).runs
        let lowStillQueued = Set(queued.map(\.run)).subtracting([urgent.id])
        if let position = queued.firstIndex(where: { $0.run == urgent.id }) {
            #expect(position == 0, "the urgent run heads the queue: \(queued.map(\.run))")
        }
        // What waits says why, in `colony workflow show` and `colony queue`.
        let waiting = try await deployment.show(low[3].id)
        #expect(waiting.run.status != .pending || waiting.waiting.contains { $0.contains("global limit of 2") }, "\(waiting.waiting)")
        let queue = try await deployment.bus.harness.run(["queue", "--config", deployment.configFile.path])
        #expect(queue.status == 0, "\(queue.output)")

        var finished: [RunRecord] = []
        for run in low + [urgent] { finished.append(try #require(try await deployment.finished(run.id)).run) }
        #expect(finished.allSatisfy { $0.status == .completed })
        #expect(Self.overlaps(finished.compactMap { run in run.startedAt.flatMap { start in run.finishedAt.map { (start, $0) } } }) <= 2,
                "never more than 2 runs at once")
        let urgentStart = try #require(finished.last?.startedAt)
        for run in finished.dropLast() where lowStillQueued.contains(run.id) {
            #expect(run.startedAt! >= urgentStart, "the urgent run jumped the queue ahead of \(run.id)")
        }
    }

    @Test func aResourceIsHeldByOneStepAtATime() async throws {
        let deployment = try await Deployment(workflows: Self.workflows, orchestratorSettings: "max_concurrent_runs: 10\nresources: {gpu-1: 1}")
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        // The first run holds gpu-1 for 6 s; the two started once it holds it wait and say for whom.
        var runs = [try await deployment.start("gpu_job", input: .object(["ms": .number(6000)]))]
        _ = try await eventually { try await deployment.show(runs[0].id).attempts.contains { $0.stepID == "train" } ? true : nil }
        for _ in 0..<2 { runs.append(try await deployment.start("gpu_job")) }
        let reason = try await eventually {
            for run in runs {
                if let waiting = try await deployment.show(run.id).waiting.first(where: { $0.contains("waits for gpu-1") }) { return waiting }
            }
            return nil
        }
        #expect(reason?.contains("capacity 1, held by") == true, "\(reason ?? "no reason")")
        // The queue names the holder: one step of one of these runs, and gpu-1's capacity.
        let queue = try await deployment.bus.client.request(ScheduleAPI.queue, Empty(), as: ScheduleAPI.QueueReply.self, timeout: .generous)
        let gpu = try #require(queue.resources?.first { $0.resource == "gpu-1" }, "\(queue)")
        #expect(gpu.capacity == 1 && gpu.holders.count <= 1 && gpu.holders.allSatisfy { holder in runs.contains { $0.id == holder.run } })
        let listed = try await deployment.bus.harness.run(["queue", "--config", deployment.configFile.path])
        #expect(listed.status == 0 && listed.output.contains("gpu-1") && listed.output.contains("HELD BY"), "\(listed.output)")
        var spans: [(Date, Date)] = []
        for run in runs {
            let detail = try #require(try await deployment.finished(run.id))
            #expect(detail.run.status == .completed)
            let train = try #require(detail.attempts.first { $0.stepID == "train" })
            spans.append((train.startedAt, try #require(train.finishedAt)))
            #expect(detail.transitions.contains { $0.stepID == "train" && $0.to == "ready" }, "the step waited in 'ready'")
        }
        #expect(Self.overlaps(spans) == 1, "gpu-1 (capacity 1) was never held twice")
    }
}
