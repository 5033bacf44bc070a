import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Synchronization
import Testing

/// The engine in-process: a real store on a temporary file, a scripted dispatcher and a clock
/// the test moves. Each test says when time passes, so retries, timeouts and deadlines are
/// checked to the second of engine time in milliseconds of wall time.
@Suite struct EngineTests {
    @Test func failedAttemptsAreRetriedAfterTheirBackoffAndTheRunCompletes() async throws {
        let fixture = try EngineFixture { order in order.attempt < 3 ? .error("flaky") : .ok(.object(["done": .bool(true)])) }
        defer { fixture.remove() }
        let t0 = fixture.clock.now
        let run = try await fixture.start("""
        name: flaky
        steps:
          - {id: work, capability: flaky, retry: {max_attempts: 3, initial_interval: 10s, backoff_coefficient: 2}}
        """)
        await fixture.dispatcher.waitForOrders(1)
        // The first retry waits exactly the initial interval, the second twice that.
        await fixture.clock.waitForSleeper(until: t0.addingTimeInterval(10))
        #expect(fixture.dispatcher.orders.count == 1)
        fixture.clock.advance(to: t0.addingTimeInterval(10))
        await fixture.dispatcher.waitForOrders(2)
        await fixture.clock.waitForSleeper(until: t0.addingTimeInterval(30))
        fixture.clock.advance(to: t0.addingTimeInterval(30))

        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.attempts.map(\.startedAt) == [0, 10, 30].map { t0.addingTimeInterval($0) })
        #expect(Set(fixture.dispatcher.orders.map(\.idempotencyKey)).count == 3, "each attempt has its own key")
        #expect(fixture.dispatcher.ended.map(\.status) == [.completed])
    }

    @Test func aPathTheUpstreamOutputDoesNotHaveFailsTheStepInsteadOfSendingNull() async throws {
        let fixture = try EngineFixture { _ in .ok(.object(["result": .number(42)])) }
        defer { fixture.remove() }
        let run = try await fixture.start("""
        name: typo
        steps:
          - {id: add, capability: math.add}
          - {id: show, capability: echo, depends_on: [add], params: {value: "${steps.add.output.reslt}"}}
        """)
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .failed)
        let show = try #require(snapshot.steps.first { $0.stepID == "show" })
        #expect(show.status == .failed && show.errorCode == "missing_value")
        #expect(show.errorMessage == "${steps.add.output.reslt}: the output of step 'add' has no 'reslt' (it has: result)", "\(show)")
        #expect(fixture.dispatcher.orders.map(\.step) == ["add"], "nothing was sent with a null in place of the value")
    }

    @Test func aNonRetryableErrorFailsTheRunAtOnceWithoutWaiting() async throws {
        let fixture = try EngineFixture { _ in .error("fatal") }
        defer { fixture.remove() }
        let run = try await fixture.start("""
        name: doomed
        steps:
          - {id: work, capability: doomed, retry: {max_attempts: 5, initial_interval: 1h, non_retryable_errors: [fatal]}}
          - {id: after, capability: never, depends_on: [work]}
        """)
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .failed)
        #expect(snapshot.run.errorCode == "fatal")
        #expect(fixture.dispatcher.orders.map(\.step) == ["work"])
        #expect(fixture.clock.now == EngineFixture.start)
        let refusal = await #expect(throws: EngineError.self, "a failed run is not cancelled after the fact") {
            try await fixture.engine.cancel(run: run.id, reason: "too late")
        }
        #expect(refusal?.description == "run \(run.id) already failed")
        #expect(try await fixture.store.snapshot(run: run.id).run.status == .failed)
    }

    @Test func anAttemptThatNeverAnswersTimesOutAtItsDeadline() async throws {
        let clock = ManualClock()
        let fixture = try EngineFixture(clock: clock) { order in
            // As the bus does: the request gives up at the attempt's timeout.
            do {
                try await clock.sleep(for: order.timeout)
            } catch {
                return .error("cancelled")
            }
            return .error(.timeout, "no answer in \(order.timeout)")
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let run = try await fixture.start("""
        name: slow
        steps:
          - {id: wait, capability: slow, timeout: 45s}
        """)
        #expect(try await fixture.store.snapshot(run: run.id).run.status != .failed)
        await clock.waitForSleeper(until: t0.addingTimeInterval(45))
        clock.advance(by: .seconds(45))
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .failed)
        #expect(snapshot.run.errorCode == "timeout")
        #expect(fixture.dispatcher.orders.first?.timeout == .seconds(45))
    }

    @Test func aRunTimeoutAbandonsTheAttemptInFlightAndFailsTheRun() async throws {
        let clock = ManualClock()
        let fixture = try EngineFixture(clock: clock) { _ in await hang(on: clock) }
        defer { fixture.remove() }
        let t0 = clock.now
        let run = try await fixture.start("""
        name: bounded
        timeout: 2m
        steps:
          - {id: forever, capability: forever, timeout: 1h}
        """)
        await fixture.dispatcher.waitForOrders(1)
        // The attempt's own limit is capped by what is left of the run.
        #expect(fixture.dispatcher.orders.first?.timeout == .seconds(120))
        await clock.waitForSleeper(until: t0.addingTimeInterval(120))
        clock.advance(by: .seconds(120))
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .failed)
        #expect(snapshot.run.errorCode == "run_timeout")
        #expect(fixture.dispatcher.ended.map(\.status) == [.failed])
    }

    @Test func aRestartedEngineResendsTheAttemptInFlightWithItsKeyAndItsInstance() async throws {
        let clock = ManualClock()
        let first = try EngineFixture(clock: clock) { _ in await hang(on: clock) }
        defer { first.remove() }
        let run = try await first.start("""
        name: resumable
        steps:
          - {id: a, capability: work}
          - {id: b, capability: work, depends_on: [a]}
        """)
        await first.dispatcher.waitForOrders(1)
        // The engine writes which instance got the attempt with its next batch; wait for it.
        try await eventuallyStored { try await first.store.snapshot(run: run.id).attempts.first?.instance == "agent-1" }
        await first.engine.shutDown()

        var options = Engine.Options()
        options.reconcileInterval = .seconds(3600)
        let second = try first.restarted(options: options) { _ in .ok() }
        #expect(try await second.engine.resume() == 1)
        let snapshot = try await second.finished(run.id)
        #expect(snapshot.run.status == .completed)
        let resent = try #require(second.dispatcher.orders.first)
        let original = try #require(first.dispatcher.orders.first)
        #expect(resent.step == "a" && resent.attempt == 1)
        #expect(resent.idempotencyKey == original.idempotencyKey)
        #expect(resent.preferredInstance == "agent-1")
        #expect(second.dispatcher.orders.map(\.step) == ["a", "b"])
    }

    @Test func aRetryWaitingAtRestartWaitsOnlyWhatIsLeftOfItsDelay() async throws {
        let clock = ManualClock()
        let first = try EngineFixture(clock: clock) { _ in .error("flaky") }
        defer { first.remove() }
        let t0 = clock.now
        let run = try await first.start("""
        name: patient
        steps:
          - {id: work, capability: flaky, retry: {max_attempts: 2, initial_interval: 60s}}
        """)
        await clock.waitForSleeper(until: t0.addingTimeInterval(60))
        await first.engine.shutDown()
        clock.advance(by: .seconds(20))

        var options = Engine.Options()
        options.reconcileInterval = .seconds(3600)
        let second = try first.restarted(options: options) { _ in .ok() }
        try await second.engine.resume()
        await clock.waitForSleeper(until: t0.addingTimeInterval(60))
        #expect(second.dispatcher.orders.isEmpty)
        clock.advance(to: t0.addingTimeInterval(60))
        let snapshot = try await second.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.attempts.map(\.startedAt) == [t0, t0.addingTimeInterval(60)])
    }

    @Test func runsBeyondTheLimitWaitInPriorityOrder() async throws {
        var options = Engine.Options()
        options.maxConcurrentRuns = 1
        let clock = ManualClock()
        let fixture = try EngineFixture(options: options, clock: clock) { order in
            order.run.rawValue.hasPrefix("r-") ? await hang(on: clock) : .ok()
        }
        defer { fixture.remove() }
        let yaml = """
        name: queued
        steps: [{id: work, capability: work}]
        """
        let first = try await fixture.start(yaml)
        let low = try await fixture.start(yaml, priority: 1)
        let high = try await fixture.start(yaml, priority: 5)
        let queued = await fixture.engine.queuedRuns
        #expect(queued.map(\.run) == [high.id, low.id])
        #expect(queued.allSatisfy { $0.reason.contains("global limit of 1") })
        _ = try await fixture.engine.cancel(run: first.id, reason: "make room")
        await fixture.dispatcher.waitForOrders(2)
        #expect(fixture.dispatcher.orders.map(\.run) == [first.id, high.id])
        #expect(await fixture.engine.queuedRuns.map(\.run) == [low.id])
    }

    @Test func drainingLetsTheAttemptInFlightFinishWithinTheGrace() async throws {
        let clock = ManualClock()
        let fixture = try EngineFixture(clock: clock) { _ in
            do {
                try await clock.sleep(for: .seconds(5))
            } catch {
                return .error("cancelled")
            }
            return .ok()
        }
        defer { fixture.remove() }
        let t0 = clock.now
        let run = try await fixture.start("""
        name: two
        steps:
          - {id: a, capability: work}
          - {id: b, capability: work, depends_on: [a]}
        """)
        await fixture.dispatcher.waitForOrders(1)
        let drained = Task { await fixture.engine.drain(grace: .seconds(10)) }
        await clock.waitForSleeper(until: t0.addingTimeInterval(10))
        clock.advance(by: .seconds(5))
        await drained.value
        let snapshot = try await fixture.store.snapshot(run: run.id)
        // `a` finished and was recorded; `b` was decided but not sent (it goes out on restart).
        #expect(snapshot.steps.first { $0.stepID == "a" }?.status == .succeeded)
        #expect(snapshot.steps.first { $0.stepID == "b" }?.status == .dispatched)
        #expect(fixture.dispatcher.orders.map(\.step) == ["a"])
        #expect(clock.now == t0.addingTimeInterval(5), "the drain returned when the attempt ended, not at the grace's end")
    }

    @Test func drainingWaitsForTheBusToHearThatARunEnded() async throws {
        let fixture = try EngineFixture { _ in .error("fatal") }
        defer { fixture.remove() }
        let log = Log()
        let (released, release) = AsyncStream<Void>.makeStream()
        fixture.dispatcher.delayRunEnds {
            for await _ in released { break }
            log.add("bus told")
        }
        let run = try await fixture.start("""
        name: doomed
        steps: [{id: work, capability: work}]
        """)
        await fixture.engine.waitUntilFinished(run.id)
        let engine = fixture.engine, clock = fixture.clock
        let deadline = clock.now.addingTimeInterval(10)
        let drained = Task {
            await engine.drain(grace: .seconds(10))
            log.add("drained")
        }
        // The bus is told only once the drain is either waiting (its grace timer is set) or,
        // wrongly, over.
        while clock.nextDeadline != deadline, !log.all.contains("drained") {
            try await Task.sleep(for: .milliseconds(1))
        }
        release.yield()
        await drained.value
        #expect(log.all == ["bus told", "drained"], "a graceful shutdown does not leave before the failure gate hears of the run")
        #expect(fixture.dispatcher.ended.map(\.status) == [.failed])
    }

    @Test func aChildStepWhoseLookupFailsIsAFailedAttemptNotAFreshChild() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let child = try await fixture.workflow("""
        name: child
        steps: [{id: inner, capability: work}]
        """)
        await fixture.engine.setChildWorkflows { name in name == "child" ? child : nil }
        // The store cannot tell whether the first attempt's child exists: that attempt must
        // fail as a store error (and be retried), not take the child for absent and start it.
        fixture.faults.failSnapshots { $0.rawValue.hasSuffix(".call.1") }
        let run = try await fixture.start("""
        name: parent
        steps:
          - {id: call, workflow: child, retry: {max_attempts: 2, initial_interval: 1s}}
        """)
        await fixture.clock.waitForSleeper(until: fixture.clock.now.addingTimeInterval(1))
        fixture.faults.failSnapshots { _ in false }
        fixture.clock.advance(by: .seconds(1))
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(snapshot.attempts.map(\.errorCode) == ["store_error", nil])
        #expect(try await fixture.store.children(of: run.id).map(\.id) == [RunID("\(run.id).call.2")])
    }

    @Test func cancellingAParentCancelsItsChildRun() async throws {
        let clock = ManualClock()
        let fixture = try EngineFixture(clock: clock) { _ in await hang(on: clock) }
        defer { fixture.remove() }
        let child = try await fixture.workflow("""
        name: child
        steps: [{id: inner, capability: work}]
        """)
        await fixture.engine.setChildWorkflows { name in name == "child" ? child : nil }
        let run = try await fixture.start("""
        name: parent
        steps:
          - {id: call, workflow: child}
        """)
        await fixture.dispatcher.waitForOrders(1)
        #expect(try await fixture.engine.cancel(run: run.id, reason: "test") == .cancelled)
        let childID = RunID("\(run.id).call.1")
        let childRun = try await fixture.finished(childID)
        #expect(childRun.run.status == .cancelled)
        #expect(fixture.dispatcher.abandoned.map(\.run) == [childID])
    }
}

/// Events in the order they happened, from any task.
final class Log: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

extension EngineFixture {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
}

/// Polls the store until `condition` holds (the engine writes some things in the background).
func eventuallyStored(_ condition: () async throws -> Bool) async throws {
    for _ in 0..<2000 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("the store never reached the expected state")
}
