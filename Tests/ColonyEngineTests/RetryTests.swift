import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Synchronization
import Testing

/// Retrying an ended run in-process: what succeeded and is not downstream of the retried steps
/// keeps its output and never runs again (not even across a restart), the rest runs, and
/// retries that make no sense are refused.
@Suite struct RetryTests {
    static let workflow = """
    name: pipeline
    inputs: {n: {type: integer, default: 1}}
    steps:
      - {id: fetch, capability: work, params: {n: "${input.n}"}}
      - {id: side, capability: work}
      - {id: transform, capability: transform, depends_on: [fetch], params: {n: "${steps.fetch.output.n}"}}
      - {id: load, capability: work, depends_on: [transform]}
    """

    /// `transform` fails in runs whose input is odd, so the first run fails and a retry with an
    /// even input succeeds.
    static func script(_ order: DispatchOrder) -> StepResult {
        switch order.step {
        case "fetch": return .ok(.object(["n": order.input.value(at: ["n"]) ?? .null]))
        case "transform":
            if case .number(let n) = order.input.value(at: ["n"]) ?? .null, Int(n) % 2 == 1 { return .error("odd") }
            return .ok()
        default: return .ok()
        }
    }

    @Test func aRetryRunsTheFailedStepAndWhatFollowsAndKeepsTheRest() async throws {
        let fixture = try EngineFixture(script: Self.script)
        defer { fixture.remove() }
        let old = try await fixture.start(Self.workflow)
        #expect(try await fixture.finished(old.id).run.status == .failed)
        let before = fixture.dispatcher.orders.count

        // Same input: transform fails again, but fetch and side are not asked again.
        let again = try await fixture.engine.retry(old.id)
        let failedAgain = try await fixture.finished(again.id)
        #expect(failedAgain.run.status == .failed && failedAgain.run.retryOf == old.id)
        #expect(fixture.dispatcher.orders.dropFirst(before).map(\.step) == ["transform"])
        let kept = failedAgain.attempts.filter { $0.agent == "kept from \(old.id)" }.map(\.stepID)
        #expect(Set(kept) == ["fetch", "side"])
        #expect(failedAgain.transitions.contains { $0.stepID == "fetch" && $0.detail == "kept from run \(old.id)" })

        // From fetch with a new input: fetch and everything after it run; side is kept.
        let fixed = try await fixture.engine.retry(old.id, from: ["fetch"], input: .object(["n": .number(2)]))
        let done = try await fixture.finished(fixed.id)
        #expect(done.run.status == .completed)
        let ran = fixture.dispatcher.orders.filter { $0.run == fixed.id }.map(\.step)
        #expect(ran == ["fetch", "transform", "load"], "\(ran)")
        #expect(done.steps.first { $0.stepID == "side" }?.output == .object([:]))
        #expect(try await fixture.store.retries(of: old.id).map(\.id) == [again.id, fixed.id])
    }

    @Test func keptStepsAreStoredWithTheRunSoARestartNeverRunsThem() async throws {
        let first = try EngineFixture(script: Self.script)
        defer { first.remove() }
        let old = try await first.start(Self.workflow)
        #expect(try await first.finished(old.id).run.status == .failed)
        await first.engine.shutDown()

        // The retry is created and its first attempt sent, then the orchestrator dies.
        let never = Gate()
        let second = try first.restarted { _ in
            await never.wait()
            return .ok()
        }
        let retry = try await second.engine.retry(old.id, input: .object(["n": .number(2)]))
        await second.dispatcher.waitForOrders(1)
        await second.engine.shutDown()
        let third = try first.restarted { _ in .ok() }
        #expect(try await third.engine.resume() == 1)
        let done = try await third.finished(retry.id)
        #expect(done.run.status == .completed, "\(done.steps.map { "\($0.stepID)=\($0.status)" }) \(done.transitions.map { "\($0.stepID?.rawValue ?? "run") \($0.from ?? "-")→\($0.to) \($0.detail ?? "")" })")
        let sent = (second.dispatcher.orders + third.dispatcher.orders).filter { $0.run == retry.id }.map(\.step)
        #expect(!sent.contains("fetch") && !sent.contains("side"), "kept steps never run: \(sent)")
    }

    @Test func retriesThatMakeNoSenseAreRefused() async throws {
        let gate = Gate()
        let fixture = try EngineFixture { order in
            if order.step == "fetch" { await gate.wait() }
            return .ok(order.input)
        }
        defer { fixture.remove() }
        let running = try await fixture.start(Self.workflow)
        await fixture.dispatcher.waitForOrders(1)
        await #expect {
            _ = try await fixture.engine.retry(running.id)
        } throws: { error in
            guard case EngineError.notFinished = error else { return false }
            return "\(error)".contains("only an ended run can be retried")
        }
        await gate.open()
        #expect(try await fixture.finished(running.id).run.status == .completed)
        await #expect {
            _ = try await fixture.engine.retry(running.id)
        } throws: { error in
            guard case EngineError.nothingToRetry = error else { return false }
            return true
        }
        await #expect {
            _ = try await fixture.engine.retry(running.id, from: ["fecth"])
        } throws: { error in
            guard case EngineError.unknownStep("fecth", _, _) = error else { return false }
            return "\(error)".contains("its steps: fetch, side, transform, load")
        }
        await #expect {
            _ = try await fixture.engine.retry(running.id, from: ["load"], input: .object(["n": .string("two")]))
        } throws: { error in
            guard case EngineError.invalidInput = error else { return false }
            return true
        }
    }
}
