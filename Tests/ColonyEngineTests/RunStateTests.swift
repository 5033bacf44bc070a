@testable import ColonyEngine
import ColonyCore
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Testing

/// The run state machine on its own: what it decides to write and to do, for each event.
@Suite struct RunStateTests {
    func definition(_ yaml: String) -> WorkflowDefinition {
        var parser = WorkflowParser()
        let parsed = parser.parse(yaml, file: "test.yaml")
        #expect(parser.errors.isEmpty, "\(parser.errors)")
        return parsed[0]
    }

    func newRun(_ yaml: String, input: JSONValue = .object([:])) -> RunState {
        RunState(id: "run", definition: definition(yaml), input: input, defaultAttemptTimeout: .seconds(30), createdAt: Date())
    }

    func dispatched(_ plan: Plan) -> [String] {
        plan.effects.compactMap { if case .dispatch(let order) = $0 { return order.step.rawValue } else { return nil } }.sorted()
    }

    func finished(_ plan: Plan) -> RunStatus? {
        plan.effects.compactMap { if case .finished(_, let status, _) = $0 { return status } else { return nil } }.first
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    let diamond = """
    name: diamond
    inputs: {n: number}
    steps:
      - {id: a, capability: math.add, params: {a: "${input.n}", b: 1}}
      - {id: b, capability: math.mul, depends_on: [a], params: {a: "${steps.a.output.result}", b: 2}}
      - {id: c, capability: math.mul, depends_on: [a], params: {a: "${steps.a.output.result}", b: 3}}
      - {id: d, capability: math.add, depends_on: [b, c], params: {a: "${steps.b.output.result}", b: "${steps.c.output.result}"}}
      - {id: big, capability: echo, depends_on: [d], condition: "steps.d.output.result > 1000"}
    """

    @Test func aDagRunsInDependencyOrderWithIndependentStepsTogether() {
        var run = newRun(diamond, input: .object(["n": .number(4)]))
        let start = run.advance(now: now)
        #expect(dispatched(start) == ["a"])
        #expect(start.changes.first == .run(RunTransition(run: "run", from: .pending, to: .running)))
        guard case .dispatch(let first) = start.effects.first else { Issue.record("no dispatch"); return }
        #expect(first.input == .object(["a": .number(4), "b": .number(1)]), "params are rendered with the input's types")
        #expect(first.idempotencyKey == "run/a/1")

        let afterA = run.record(.succeeded(output: .object(["result": .number(5)]), agent: "math"), step: "a", attempt: 1, now: now)
        #expect(dispatched(afterA) == ["b", "c"], "independent steps go out together")
        let afterB = run.record(.succeeded(output: .object(["result": .number(10)]), agent: nil), step: "b", attempt: 1, now: now)
        #expect(dispatched(afterB).isEmpty, "d waits for c")
        let afterC = run.record(.succeeded(output: .object(["result": .number(15)]), agent: nil), step: "c", attempt: 1, now: now)
        #expect(dispatched(afterC) == ["d"])
        let afterD = run.record(.succeeded(output: .object(["result": .number(25)]), agent: nil), step: "d", attempt: 1, now: now)
        #expect(afterD.changes.contains(.step(StepTransition(run: "run", step: "big", from: .pending, to: .skipped,
                                                             detail: "condition is false: steps.d.output.result > 1000"))))
        #expect(finished(afterD) == .completed)
        #expect(run.status == .completed)
    }

    @Test func aRepeatedOrLateCompletionChangesNothing() {
        var run = newRun(diamond, input: .object(["n": .number(1)]))
        _ = run.advance(now: now)
        _ = run.record(.succeeded(output: .object(["result": .number(2)]), agent: nil), step: "a", attempt: 1, now: now)
        let duplicate = run.record(.succeeded(output: .object(["result": .number(2)]), agent: nil), step: "a", attempt: 1, now: now)
        #expect(duplicate.changes.isEmpty && duplicate.effects.isEmpty, "a step is never dispatched twice because completions race")
        _ = run.record(.succeeded(output: .object(["result": .number(4)]), agent: nil), step: "b", attempt: 1, now: now)
        let join = run.record(.succeeded(output: .object(["result": .number(6)]), agent: nil), step: "c", attempt: 1, now: now)
        let again = run.record(.succeeded(output: .object(["result": .number(6)]), agent: nil), step: "c", attempt: 1, now: now)
        #expect(dispatched(join) == ["d"] && dispatched(again).isEmpty)
    }

    @Test func retriesBackOffAndStopAtNonRetryableCodes() {
        var run = newRun("""
        name: r
        steps:
          - id: s
            capability: flaky.fetch
            retry: {max_attempts: 3, initial_interval: 100ms, backoff_coefficient: 3, non_retryable_errors: [fatal]}
        """)
        _ = run.advance(now: now)
        let first = run.record(.failed(StepError(code: "upstream_unavailable", message: "down"), agent: nil), step: "s", attempt: 1, now: now)
        #expect(first.effects == [.retry(run: "run", step: "s", after: .milliseconds(100))])
        #expect(run.state(of: "s")?.status == .retrying)
        let early = run.record(.succeeded(output: .null, agent: nil), step: "s", attempt: 1, now: now)
        #expect(early.changes.isEmpty, "a retrying step ignores answers to the old attempt")
        let second = run.retryDue(step: "s", now: now)
        guard case .dispatch(let order) = second.effects.first else { Issue.record("no dispatch"); return }
        #expect(order.attempt == 2 && order.idempotencyKey == "run/s/2")
        let backoff = run.record(.failed(StepError(code: "upstream_unavailable", message: "down"), agent: nil), step: "s", attempt: 2, now: now)
        #expect(backoff.effects == [.retry(run: "run", step: "s", after: .milliseconds(300))])
        _ = run.retryDue(step: "s", now: now)
        let fatal = run.record(.failed(StepError(code: "fatal", message: "no"), agent: nil), step: "s", attempt: 3, now: now)
        #expect(finished(fatal) == .failed)
        #expect(run.state(of: "s")?.error?.message == "no (after 3 attempts)")
    }

    @Test func continuePoliciesLetDependentsBranchOnTheFailure() {
        var run = newRun("""
        name: c
        steps:
          - {id: risky, capability: x, on_failure: continue}
          - {id: fallback, capability: y, depends_on: [risky], condition: "steps.risky.status == 'failed'"}
          - {id: plain, capability: z, depends_on: [risky]}
        """)
        _ = run.advance(now: now)
        let plan = run.record(.failed(StepError(code: "boom", message: "x"), agent: nil), step: "risky", attempt: 1, now: now)
        #expect(dispatched(plan) == ["fallback"])
        #expect(run.state(of: "plain")?.status == .skipped, "a dependent without a condition does not run on a failed upstream")
        let done = run.record(.succeeded(output: .null, agent: nil), step: "fallback", attempt: 1, now: now)
        #expect(finished(done) == .completed)
    }

    @Test func aFailedStepRunsItsCompensationThenTheErrorHandlerThenFailsTheRun() {
        var run = newRun("""
        name: f
        on_error: notify
        steps:
          - {id: pay, capability: pay, on_failure: {compensate: refund}}
          - {id: other, capability: slow}
        handlers:
          - {id: refund, capability: refund, params: {step: "${failure.step}", why: "${failure.error.code}"}}
          - {id: notify, capability: notify}
        """)
        _ = run.advance(now: now)
        let failing = run.record(.failed(StepError(code: "declined", message: "card declined"), agent: nil), step: "pay", attempt: 1, now: now)
        #expect(failing.effects.contains(.abandon(run: "run", step: "other")), "parallel work of a failing run is abandoned")
        #expect(run.state(of: "other")?.status == .cancelled)
        guard case .dispatch(let refund) = failing.effects.first(where: { if case .dispatch = $0 { true } else { false } }) else {
            Issue.record("no compensation dispatched"); return
        }
        #expect(refund.step == "refund" && refund.input == .object(["step": .string("pay"), "why": .string("declined")]))
        let notify = run.record(.succeeded(output: .null, agent: nil), step: "refund", attempt: 1, now: now)
        #expect(dispatched(notify) == ["notify"])
        let end = run.record(.failed(StepError(code: "smtp", message: "down"), agent: nil), step: "notify", attempt: 1, now: now)
        #expect(finished(end) == .failed)
        #expect(end.changes.contains { if case .run(let t) = $0 { t.to == .failed && t.errorCode == "declined" } else { false } },
                "the run fails with the step's error, not the handler's")
    }

    @Test func aRunPastItsTimeoutFailsAndAttemptsAreCappedByIt() {
        var run = newRun("""
        name: t
        timeout: 2s
        steps:
          - {id: slow, capability: echo.sleep, timeout: 10s}
        """)
        let start = run.advance(now: now)
        guard case .dispatch(let order) = start.effects.first(where: { if case .dispatch = $0 { true } else { false } }) else {
            Issue.record("no dispatch"); return
        }
        #expect(order.timeout <= .seconds(2), "an attempt never outlives its run")
        let plan = run.timedOut(now: now.addingTimeInterval(2))
        #expect(plan.effects.contains(.abandon(run: "run", step: "slow")))
        #expect(finished(plan) == .failed)
        #expect(plan.changes.contains { if case .run(let t) = $0 { t.to == .failed && t.errorCode == "run_timeout" } else { false } })
    }

    @Test func aStepWithResourcesWaitsReadyUntilGrantedAndReleasesThem() {
        var run = newRun("""
        name: g
        steps:
          - {id: train, capability: gpu.train, resources: [gpu-1], retry: {max_attempts: 2, initial_interval: 10ms}}
        """)
        let start = run.advance(now: now)
        #expect(start.effects.contains(.acquire(run: "run", step: "train", resources: ["gpu-1"])))
        #expect(dispatched(start).isEmpty && run.state(of: "train")?.status == .ready)
        let granted = run.granted(step: "train", now: now)
        #expect(dispatched(granted) == ["train"])
        let failed = run.record(.failed(StepError(code: "oom", message: "out of memory"), agent: nil), step: "train", attempt: 1, now: now)
        #expect(failed.effects.contains(.release(run: "run", step: "train")), "a retrying step gives its resources back")
        let retry = run.retryDue(step: "train", now: now)
        #expect(retry.effects.contains(.acquire(run: "run", step: "train", resources: ["gpu-1"])), "and queues for them again")
        guard case .dispatch(let second) = run.granted(step: "train", now: now).effects.first else { Issue.record("no dispatch"); return }
        #expect(second.attempt == 2)
    }

    @Test func theResourcePoolGrantsByPriorityThenAge() {
        var pool = ResourcePool(capacities: ["gpu": 1])
        let early = Date(timeIntervalSince1970: 1), late = Date(timeIntervalSince1970: 2)
        pool.enqueue(Engine.StepKey(run: "low-old", step: "s"), resources: ["gpu"], priority: 0, createdAt: early)
        pool.enqueue(Engine.StepKey(run: "high-new", step: "s"), resources: ["gpu"], priority: 5, createdAt: late)
        pool.enqueue(Engine.StepKey(run: "low-new", step: "s"), resources: ["gpu"], priority: 0, createdAt: late)
        #expect(pool.grant().map(\.run) == ["high-new"])
        #expect(pool.grant().isEmpty, "capacity 1")
        #expect(pool.reason(for: Engine.StepKey(run: "low-new", step: "s"))?.contains("held by high-new/s") == true)
        pool.release(Engine.StepKey(run: "high-new", step: "s"))
        #expect(pool.grant().map(\.run) == ["low-old"])
    }

    @Test func cancellingAbandonsWorkInFlight() {
        var run = newRun(diamond, input: .object(["n": .number(1)]))
        _ = run.advance(now: now)
        let plan = run.cancel(reason: "operator", now: now)
        #expect(plan.effects.contains(.abandon(run: "run", step: "a")))
        #expect(finished(plan) == .cancelled)
        let closed = plan.changes.compactMap { change -> AttemptRecord? in
            if case .step(let transition) = change, transition.step == "a" { return transition.attempt }
            return nil
        }
        #expect(closed.map(\.status) == [.cancelled] && closed.first?.finishedAt == now, "the attempt in flight is closed, not left dispatched")
        #expect(run.advance(now: now).changes.isEmpty, "a cancelled run does nothing more")
    }

    @Test func aRestartedRunResendsAttemptsInFlightWithTheSameKey() {
        var run = newRun(diamond, input: .object(["n": .number(1)]))
        _ = run.advance(now: now)
        _ = run.record(.succeeded(output: .object(["result": .number(2)]), agent: nil), step: "a", attempt: 1, now: now)
        let record = RunRecord(id: "run", workflow: "diamond", definitionID: 1, status: .running, input: .object(["n": .number(1)]))
        let snapshot = RunSnapshot(
            run: record,
            steps: ["a": StepStatus.succeeded, "b": .dispatched, "c": .dispatched, "d": .pending, "big": .pending].map { id, status in
                var step = StepRecord(runID: "run", stepID: StepID(id), status: status, attempts: status == .pending ? 0 : 1)
                if id == "a" { step.output = .object(["result": .number(2)]) }
                return step
            },
            attempts: ["a", "b", "c"].map { AttemptRecord(runID: "run", stepID: StepID($0), attempt: 1, input: .object(["k": .string($0)])) },
            transitions: []
        )
        let restored = RunState(snapshot: snapshot, definition: run.definition, defaultAttemptTimeout: .seconds(30))
        let resumption = restored.resumption(now: now)
        let orders: [DispatchOrder] = resumption.effects.compactMap { if case .dispatch(let order) = $0 { return order } else { return nil } }
        #expect(orders.map(\.idempotencyKey).sorted() == ["run/b/1", "run/c/1"])
        #expect(orders.first { $0.step == "b" }?.input == .object(["k": .string("b")]), "the same input goes out again")
    }
}
