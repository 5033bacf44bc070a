import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

/// Pausing and resuming a run in-process: a paused run dispatches nothing new while its
/// attempts in flight finish, retry timers hold, a restart keeps it paused, and resuming sends
/// what was held back.
@Suite struct PauseTests {
    static let chain = """
    name: chain
    steps:
      - {id: a, capability: work}
      - {id: b, capability: work, depends_on: [a]}
    """

    func status(_ fixture: EngineFixture, _ run: RunID, _ step: StepID) async throws -> StepStatus? {
        try await fixture.store.snapshot(run: run).steps.first { $0.stepID == step }?.status
    }

    @Test func aPausedRunFinishesWhatIsInFlightAndStartsNothingUntilResumed() async throws {
        let gate = Gate()
        let fixture = try EngineFixture { order in
            if order.step == "a" { await gate.wait() }
            return .ok()
        }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.chain)
        await fixture.dispatcher.waitForOrders(1)
        try await fixture.engine.pause(run: run.id, reason: "checking the data")
        #expect(try await fixture.store.snapshot(run: run.id).run.status == .paused)
        #expect(await fixture.engine.pausedRuns.map(\.run) == [run.id])
        #expect(await fixture.engine.waitingReasons(run.id).first?.contains("the run is paused since") == true)

        await gate.open()
        try await eventuallyStored { try await status(fixture, run.id, "a") == .succeeded }
        // b would have been dispatched in the batch that recorded a; it was not.
        #expect(try await status(fixture, run.id, "b") == .pending)
        #expect(fixture.dispatcher.orders.map(\.step) == ["a"])

        try await fixture.engine.unpause(run: run.id, reason: "looks fine")
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(fixture.dispatcher.orders.map(\.step) == ["a", "b"])
        let moves = snapshot.transitions.filter { $0.stepID == nil }.map { "\($0.from ?? "-")→\($0.to)" }
        #expect(moves == ["-→pending", "pending→running", "running→paused", "paused→running", "running→completed"], "\(moves)")
    }

    @Test func retryTimersHoldWhilePausedAndADueRetryGoesOutOnResume() async throws {
        let clock = ManualClock()
        let fixture = try EngineFixture(clock: clock) { order in order.attempt == 1 ? .error("flaky") : .ok() }
        defer { fixture.remove() }
        let t0 = clock.now
        let run = try await fixture.start("""
        name: flaky
        steps:
          - {id: work, capability: flaky, retry: {max_attempts: 2, initial_interval: 10s}}
        """)
        try await eventuallyStored { try await status(fixture, run.id, "work") == .retrying }
        try await fixture.engine.pause(run: run.id, reason: "hold")
        await clock.waitForSleeper(until: t0.addingTimeInterval(10))
        clock.advance(by: .seconds(20))
        try await eventuallyStored { try await fixture.store.snapshot(run: run.id).run.status == .paused }
        #expect(fixture.dispatcher.orders.count == 1, "the retry held")
        #expect(try await status(fixture, run.id, "work") == .retrying)

        try await fixture.engine.unpause(run: run.id, reason: "go")
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.attempts.map(\.startedAt) == [t0, t0.addingTimeInterval(20)], "the overdue retry went out at the resume")
    }

    @Test func aRestartedEngineKeepsTheRunPaused() async throws {
        let gate = Gate()
        let first = try EngineFixture { order in
            if order.step == "a" { await gate.wait() }
            return .ok()
        }
        defer { first.remove() }
        let run = try await first.start(Self.chain)
        await first.dispatcher.waitForOrders(1)
        try await first.engine.pause(run: run.id, reason: "before b")
        await gate.open()
        try await eventuallyStored { try await status(first, run.id, "a") == .succeeded }
        await first.engine.shutDown()

        let second = try first.restarted { _ in .ok() }
        #expect(try await second.engine.resume() == 1)
        #expect(await second.engine.pausedRuns.first?.reason == "before b")
        #expect(second.dispatcher.orders.isEmpty)
        // Pausing refused for a paused run, resuming for a running one.
        await #expect(throws: EngineError.self) { try await second.engine.pause(run: run.id, reason: "again") }
        try await second.engine.unpause(run: run.id, reason: "go")
        await #expect(throws: EngineError.self) { try await second.engine.unpause(run: run.id, reason: "again") }
        #expect(try await second.finished(run.id).run.status == .completed)
        await #expect {
            try await second.engine.pause(run: run.id, reason: "too late")
        } throws: { error in
            guard case EngineError.ended(_, .completed) = error else { return false }
            return true
        }
    }

    @Test func aRunThatFailsWhilePausedLeavesThePauseToRunItsHandlers() async throws {
        let gate = Gate()
        let fixture = try EngineFixture { order in
            if order.step == "a" {
                await gate.wait()
                return .error("broken")
            }
            return .ok()
        }
        defer { fixture.remove() }
        let run = try await fixture.start("""
        name: compensated
        steps:
          - {id: a, capability: work, on_failure: {compensate: undo}}
          - {id: b, capability: work, depends_on: [a]}
        handlers:
          - {id: undo, capability: undo}
        """)
        await fixture.dispatcher.waitForOrders(1)
        try await fixture.engine.pause(run: run.id, reason: "hold")
        await gate.open()
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .failed)
        #expect(fixture.dispatcher.orders.map(\.step) == ["a", "undo"])
        #expect(snapshot.transitions.contains { $0.stepID == nil && $0.from == "paused" && $0.to == "running" && $0.detail?.contains("failing") == true })
    }

    @Test func theRunQueueHasABound() async throws {
        let gate = Gate()
        var options = Engine.Options()
        options.maxConcurrentRuns = 1
        options.maxQueuedRuns = 2
        let fixture = try EngineFixture(options: options) { _ in
            await gate.wait()
            return .ok()
        }
        defer { fixture.remove() }
        var runs: [RunRecord] = []
        for _ in 0..<3 { runs.append(try await fixture.start(Self.chain)) }
        await #expect {
            _ = try await fixture.start(Self.chain)
        } throws: { error in
            guard case EngineError.queueFull(limit: 2) = error else { return false }
            return "\(error)".contains("max_queued_runs")
        }
        await gate.open()
        for run in runs { #expect(try await fixture.finished(run.id).run.status == .completed) }
    }
}
