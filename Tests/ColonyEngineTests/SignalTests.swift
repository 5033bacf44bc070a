import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Testing

/// Steps that wait for a signal (`wait_for`), in-process with a manual clock: the signal's data
/// is the step's output, one sent early is kept, the wait times out, refusals say why, and a
/// restarted engine keeps waiting (with only what is left of the timeout).
@Suite struct SignalTests {
    static let approval = """
    name: approval
    steps:
      - {id: prepare, capability: work}
      - id: approve
        depends_on: [prepare]
        wait_for: {signal: approve, timeout: 1h}
      - id: ship
        capability: work
        depends_on: [approve]
        condition: "${steps.approve.output.ok} == true"
        params: {by: "${steps.approve.output.by}"}
    """

    @Test func aWaitingStepTakesItsSignalAndLaterStepsReadItsData() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.approval)
        try await eventuallyStored { try await fixture.store.snapshot(run: run.id).steps.first { $0.stepID == "approve" }?.status == .waiting }
        #expect(await fixture.engine.waitingReasons(run.id).contains { $0.contains("waits for signal 'approve' since") && $0.contains("times out at") })

        let receipt = try await fixture.engine.signal(run: run.id, name: "approve", data: .object(["ok": .bool(true), "by": .string("ana")]))
        #expect(receipt.step == "approve")
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.steps.first { $0.stepID == "approve" }?.output == .object(["ok": .bool(true), "by": .string("ana")]))
        #expect(fixture.dispatcher.orders.map(\.step) == ["prepare", "ship"])
        #expect(fixture.dispatcher.orders.last?.input == .object(["by": .string("ana")]))
        #expect(snapshot.signals.count == 1 && snapshot.signals.first?.stepID == "approve")
    }

    @Test func aSignalSentBeforeItsStepIsReachedIsKeptForIt() async throws {
        let gate = Gate()
        let fixture = try EngineFixture { order in
            if order.step == "prepare" { await gate.wait() }
            return .ok()
        }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.approval)
        await fixture.dispatcher.waitForOrders(1)
        let early = try await fixture.engine.signal(run: run.id, name: "approve", data: .object(["ok": .bool(false)]))
        #expect(early.step == nil, "kept: no step waits yet")
        await gate.open()
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.steps.first { $0.stepID == "approve" }?.output == .object(["ok": .bool(false)]))
        #expect(snapshot.steps.first { $0.stepID == "ship" }?.status == .skipped, "the condition read the signal's data")
    }

    @Test func theWaitTimesOutWithTimeoutAndOnlyWhatIsLeftCountsAfterARestart() async throws {
        let clock = ManualClock()
        let first = try EngineFixture(clock: clock) { _ in .ok() }
        defer { first.remove() }
        let t0 = clock.now
        let run = try await first.start(Self.approval)
        await clock.waitForSleeper(until: t0.addingTimeInterval(3600))
        clock.advance(by: .seconds(1800))
        await first.engine.shutDown()

        let second = try first.restarted { _ in .ok() }
        #expect(try await second.engine.resume() == 1)
        // Half an hour is left, not a whole hour.
        await clock.waitForSleeper(until: t0.addingTimeInterval(3600))
        clock.advance(by: .seconds(1800))
        let snapshot = try await second.finished(run.id)
        #expect(snapshot.run.status == .failed)
        #expect(snapshot.run.errorCode == "timeout")
        let step = try #require(snapshot.steps.first { $0.stepID == "approve" })
        #expect(step.status == .failed && step.errorMessage?.contains("no signal 'approve' within 1h") == true, "\(step)")
    }

    @Test func signalsAreRefusedForUnknownNamesFinishedWaitsAndEndedRuns() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.approval)
        await #expect {
            _ = try await fixture.engine.signal(run: run.id, name: "aprove", data: nil)
        } throws: { error in
            guard case EngineError.unknownSignal(_, "aprove", let known) = error else { return false }
            return known == ["approve"] && "\(error)".contains("waits for 'approve'")
        }
        _ = try await fixture.engine.signal(run: run.id, name: "approve", data: .object(["ok": .bool(true), "by": .string("ana")]))
        let finished = try await fixture.finished(run.id)
        #expect(finished.run.status == .completed)
        await #expect {
            _ = try await fixture.engine.signal(run: run.id, name: "approve", data: nil)
        } throws: { error in
            guard case EngineError.ended(_, .completed) = error else { return false }
            return true
        }
        await #expect {
            _ = try await fixture.engine.signal(run: "r-nope", name: "approve", data: nil)
        } throws: { error in
            guard case EngineError.store(.runNotFound) = error else { return false }
            return true
        }
    }

    @Test func aSecondSignalWithNoStepLeftToTakeItIsRefused() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let run = try await fixture.start("""
        name: two
        steps:
          - {id: first, wait_for: {signal: go}}
          - {id: later, capability: work, depends_on: [first]}
          - {id: hold, wait_for: {signal: done}, depends_on: [first]}
        """)
        _ = try await fixture.engine.signal(run: run.id, name: "go", data: nil)
        try await eventuallyStored { try await fixture.store.snapshot(run: run.id).steps.first { $0.stepID == "hold" }?.status == .waiting }
        await #expect {
            _ = try await fixture.engine.signal(run: run.id, name: "go", data: nil)
        } throws: { error in
            guard case EngineError.signalNotAwaited(_, "go") = error else { return false }
            return true
        }
        _ = try await fixture.engine.signal(run: run.id, name: "done", data: .string("yes"))
        #expect(try await fixture.finished(run.id).run.status == .completed)
    }
}

extension SignalTests {
    @Test func aRunKeepsABoundedNumberOfEarlySignalsOfBoundedSize() async throws {
        let gate = Gate()
        let fixture = try EngineFixture { order in
            await gate.wait()
            return .ok()
        }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.approval)
        await fixture.dispatcher.waitForOrders(1)
        for index in 0..<RunState.maximumKept {
            _ = try await fixture.engine.signal(run: run.id, name: "approve", data: .number(Double(index)))
        }
        await #expect {
            _ = try await fixture.engine.signal(run: run.id, name: "approve", data: nil)
        } throws: { error in
            guard case EngineError.signalRefused = error else { return false }
            return "\(error)".contains("keeps 100 signals")
        }
        await #expect {
            _ = try await fixture.engine.signal(run: run.id, name: "approve", data: .string(String(repeating: "x", count: Engine.maximumSignalBytes)))
        } throws: { error in
            guard case EngineError.signalRefused = error else { return false }
            return "\(error)".contains("larger than")
        }
        await gate.open()
        // The oldest kept signal is the one the step takes.
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.steps.first { $0.stepID == "approve" }?.output == .number(0))
    }
}

/// Holds a scripted attempt until the test opens it.
actor Gate {
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
