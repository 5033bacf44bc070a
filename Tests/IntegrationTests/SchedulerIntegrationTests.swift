import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyTestSupport
import ColonyWire
import ColonyWorkflow
import Foundation
import Testing

/// The scheduler as deployed: `colony orchestrator` processes on one SQLite file, real agents,
/// real time. Assertions are about what was decided (every tick accounted for, at most one
/// run per tick, overlap rules kept), never about how fast.
@Suite(.serialized) struct SchedulerIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    /// Ticks of `schedule` with `outcome` (all when nil), read straight from the database.
    static func ticks(_ deployment: Deployment, _ schedule: String, _ outcome: TickOutcome? = nil) async throws -> [TickRecord] {
        let store = try SQLiteWorkflowStore(path: deployment.database.path)
        return try await store.ticks(schedule: schedule, outcome: outcome, limit: 100_000).sorted { $0.scheduledAt < $1.scheduledAt }
    }

    static func runs(_ deployment: Deployment, _ schedule: String) async throws -> [RunRecord] {
        let store = try SQLiteWorkflowStore(path: deployment.database.path)
        return try await store.runs(schedule: schedule, statuses: RunStatus.allCases, latest: nil)
    }

    /// Whether any two runs were in progress at the same time.
    static func overlapping(_ runs: [RunRecord]) -> Bool {
        let spans = runs.compactMap { run in run.startedAt.map { ($0, run.finishedAt ?? .distantFuture) } }.sorted { $0.0 < $1.0 }
        return zip(spans, spans.dropFirst()).contains { $1.0 < $0.1 }
    }

    static let overlapWorkflows = """
    workflows:
      - name: every_second
        schedule: {every: 1s}
        steps: [{id: beat, capability: echo, params: {beat: true}}]
    \(["skip", "buffer_one", "buffer_all", "cancel_other", "allow_all"].map { policy in """
      - name: slow_\(policy)
        schedule: {every: 1s, overlap: \(policy)}
        steps: [{id: wait, capability: echo.sleep, params: {ms: 2300}}]
    """ }.joined(separator: "\n"))
    """

    @Test func intervalSchedulesFireEveryTickAndKeepTheirOverlapPolicy() async throws {
        let deployment = try await Deployment(workflows: Self.overlapWorkflows, orchestratorSettings: "max_concurrent_runs: 100")
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        // Wait until the slow schedules have seen several ticks while a run was going.
        _ = try await eventually(timeout: .seconds(60)) {
            try await Self.ticks(deployment, "slow_skip").count >= 6 ? true : nil
        }
        for policy in ["every_second", "slow_skip", "slow_buffer_one", "slow_buffer_all", "slow_cancel_other", "slow_allow_all"] {
            let result = try await deployment.bus.harness.run(["schedule", "pause", policy, "--config", deployment.configFile.path])
            #expect(result.status == 0, "\(result.output)")
        }

        let every = try await Self.ticks(deployment, "every_second")
        #expect(every.count >= 5 && every.allSatisfy { $0.outcome == .started }, "\(every.map(\.outcome))")
        let gaps = zip(every, every.dropFirst()).map { $1.scheduledAt.timeIntervalSince($0.scheduledAt) }
        #expect(gaps.allSatisfy { abs($0 - 1) < 0.01 }, "one tick per second, none lost: \(gaps)")

        let skip = try await Self.ticks(deployment, "slow_skip")
        #expect(skip.contains { $0.outcome == .skipped && $0.reason?.contains("still going") == true })
        #expect(!Self.overlapping(try await Self.runs(deployment, "slow_skip")), "skip never overlaps")

        let bufferOne = try await Self.ticks(deployment, "slow_buffer_one")
        #expect(bufferOne.contains { $0.outcome == .skipped && $0.reason?.contains("already waits") == true })
        #expect(!Self.overlapping(try await Self.runs(deployment, "slow_buffer_one")), "buffer_one never overlaps")

        _ = try await eventually(timeout: .seconds(30)) {
            try await Self.ticks(deployment, "slow_buffer_all").contains { $0.reason?.contains("buffered tick") == true } ? true : nil
        }
        #expect(!Self.overlapping(try await Self.runs(deployment, "slow_buffer_all")), "buffer_all never overlaps")

        let replaced = try await Self.runs(deployment, "slow_cancel_other")
        #expect(replaced.filter { $0.status == .cancelled }.count >= 2, "each tick cancels the run before it")

        #expect(Self.overlapping(try await Self.runs(deployment, "slow_allow_all")), "allow_all overlaps")

        // Paused schedules fire no more ticks.
        let pausedAt = try await Self.ticks(deployment, "every_second").count
        let list = try await deployment.bus.harness.run(["schedule", "list", "--json", "--config", deployment.configFile.path])
        #expect(list.output.contains("\"paused\" : true"), "\(list.output)")
        let later = try await Self.ticks(deployment, "every_second").count
        #expect(later <= pausedAt + 1, "at most the tick in flight when pausing")
    }

    @Test func aScheduleThatKeepsFailingPausesItselfAndSaysWhy() async throws {
        let deployment = try await Deployment(workflows: """
        workflows:
          - name: divide
            steps: [{id: div, capability: math.div, params: {a: 1, b: 0}}]
        """)
        defer { deployment.stop() }
        try deployment.startAgent("math")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.div"))
        let add = try await deployment.bus.harness.run(["schedule", "add", "doomed", "--workflow", "divide", "--every", "1s",
                                                  "--pause-after-failures", "2", "--json", "--config", deployment.configFile.path])
        #expect(add.status == 0 && add.output.contains("\"added\""), "\(add.output)")
        let paused = try await eventually(timeout: .seconds(30)) {
            let list = try await deployment.bus.client.request(ScheduleAPI.list, Empty(), as: ScheduleAPI.ListReply.self, timeout: .generous)
            return list.schedules.first { $0.name == "doomed" && $0.paused }
        }
        #expect(paused?.pausedReason?.contains("2 consecutive failed runs") == true, "\(String(describing: paused))")
        let failedRuns = try await Self.runs(deployment, "doomed").filter { $0.status == .failed }
        #expect(failedRuns.count >= 2)
        let removed = try await deployment.bus.harness.run(["schedule", "remove", "doomed", "--config", deployment.configFile.path])
        #expect(removed.status == 0, "\(removed.output)")
    }

    static let catchUp = """
    workflows:
      - name: beat
        schedule: {every: 1s, overlap: allow_all, catch_up: {window: 3s, mode: all}}
        steps: [{id: beat, capability: echo, params: {beat: true}}]
    """

    @Test func killedAndRestartedItCatchesUpWithinTheWindowAndNeverDuplicates() async throws {
        let deployment = try await Deployment(workflows: Self.catchUp, orchestratorSettings: "lease: 600ms")
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let first = try await deployment.startOrchestrator()
        _ = try await eventually(timeout: .seconds(30)) { try await Self.ticks(deployment, "beat", .started).count >= 2 ? true : nil }
        deployment.bus.harness.signal(first, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(first))
        let downAt = Date()
        // Stay down for longer than the catch-up window.
        try await Task.sleep(for: .seconds(6))
        try await deployment.startOrchestrator()
        _ = try await eventually(timeout: .seconds(30)) {
            try await Self.ticks(deployment, "beat", .started).filter { $0.scheduledAt > downAt.addingTimeInterval(7) }.count >= 2 ? true : nil
        }
        let ticks = try await Self.ticks(deployment, "beat")
        let gaps = zip(ticks, ticks.dropFirst()).map { $1.scheduledAt.timeIntervalSince($0.scheduledAt) }
        #expect(gaps.allSatisfy { abs($0 - 1) < 0.01 }, "every tick is accounted for: \(gaps)")
        let missed = ticks.filter { $0.outcome == .missed }
        #expect(!missed.isEmpty && missed.allSatisfy { $0.reason?.contains("catch-up window") == true }, "ticks older than the window are recorded missed")
        let caughtUp = ticks.filter { $0.outcome == .started && $0.scheduledAt > downAt && ($0.startedAt ?? .distantPast).timeIntervalSince($0.scheduledAt) > 0.5 }
        #expect(!caughtUp.isEmpty, "ticks inside the window started late, once each")
        // The schedule keeps firing: read the runs first, then the ticks, and compare up to the
        // last run read.
        func millisecond(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        let runs = try await Self.runs(deployment, "beat")
        let runTicks = runs.compactMap(\.scheduledAt).map(millisecond)
        #expect(Set(runTicks).count == runs.count, "at most one run per tick")
        let started = try await Self.ticks(deployment, "beat", .started).map { millisecond($0.scheduledAt) }
        #expect(Set(runTicks).isSubset(of: Set(started)), "every run has its started tick")
        #expect(started.filter { $0 <= (runTicks.max() ?? 0) }.count == runs.count, "every started tick has its run")
    }

    @Test func twoOrchestratorsOnOneDatabaseFireEachTickOnceAndTakeOver() async throws {
        let deployment = try await Deployment(workflows: Self.catchUp, orchestratorSettings: "lease: 900ms")
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let a = try await deployment.startOrchestrator()
        let b = try await deployment.startOrchestrator(waitUntilServing: false)
        _ = try await eventually(timeout: .seconds(30)) { try await Self.ticks(deployment, "beat", .started).count >= 3 ? true : nil }
        // Exactly one of them is active: the one that took the lease.
        let logs = [a, b].map { process in deployment.bus.harness.processes.first { $0.process === process }!.log }
        let activeIndex = try #require(try await eventually {
            let texts = logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
            return texts.firstIndex { $0.contains("active orchestrator") }
        })
        let active = [a, b][activeIndex], standby = [a, b][1 - activeIndex]
        let killedAt = Date()
        deployment.bus.harness.signal(active, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(active))
        // The standby takes over when the lease lapses, and ticks go on.
        _ = try await eventually(timeout: .seconds(30)) {
            try await Self.ticks(deployment, "beat", .started).filter { $0.scheduledAt > killedAt.addingTimeInterval(2) }.count >= 2 ? true : nil
        }
        let standbyLog = try String(contentsOf: logs[1 - activeIndex], encoding: .utf8)
        #expect(standbyLog.contains("active orchestrator") && standbyLog.contains("term=2"), "the standby took over with term 2")
        #expect(standby.isRunning)
        let ticks = try await Self.ticks(deployment, "beat")
        let gaps = zip(ticks, ticks.dropFirst()).map { $1.scheduledAt.timeIntervalSince($0.scheduledAt) }
        #expect(gaps.allSatisfy { abs($0 - 1) < 0.01 }, "no tick lost across the takeover: \(gaps)")
        let runs = try await Self.runs(deployment, "beat")
        #expect(Set(runs.compactMap(\.scheduledAt)).count == runs.count, "exactly one run per tick")
        #expect(ticks.filter { $0.outcome == .duplicate }.isEmpty, "only the lease holder fires")
    }
}
