import ColonyCore
@testable import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Synchronization
import Testing

/// Fan-out over data (`for_each`) in-process: one instance per element, at most `max_parallel`
/// in flight, outputs in element order, failing fast or carrying on, and a restart that sends
/// again only what was in flight.
@Suite struct ForEachTests {
    static let workflow = """
    name: prices
    inputs: {symbols: {type: array}}
    steps:
      - id: price
        capability: quote
        for_each: "${input.symbols}"
        as: symbol
        max_parallel: 2
        params: {symbol: "${symbol}", also: "${symbol.missing}"}
      - {id: report, capability: report, depends_on: [price], params: {quotes: "${steps.price.output}"}}
    """

    static func input(_ symbols: [String]) -> JSONValue { .object(["symbols": .array(symbols.map(JSONValue.string))]) }

    /// Holds each instance until the test releases it by index.
    final class Gates: Sendable {
        let gates = (0..<8).map { _ in Gate() }

        func index(of order: DispatchOrder) -> Int? {
            guard let open = order.step.rawValue.lastIndex(of: "["), let close = order.step.rawValue.lastIndex(of: "]") else { return nil }
            return Int(order.step.rawValue[order.step.rawValue.index(after: open)..<close])
        }
    }

    @Test func eachElementIsAnInstanceAtMostNAtOnceAndTheOutputKeepsTheirOrder() async throws {
        let gates = Gates()
        let fixture = try EngineFixture { order in
            if let index = gates.index(of: order) {
                await gates.gates[index].wait()
                return .ok(.object(["quote": order.input.value(at: ["symbol"]) ?? .null]))
            }
            return .ok()
        }
        defer { fixture.remove() }
        let run = try await fixture.start(Self.workflow, input: Self.input(["A", "B", "C", "D"]))
        await fixture.dispatcher.waitForOrders(2)
        let first = try await fixture.store.snapshot(run: run.id).steps
        #expect(first.first { $0.stepID == "price" }?.status == .running)
        #expect(first.filter { $0.stepID.rawValue.hasPrefix("price[") }.map(\.status) == [.dispatched, .dispatched, .pending, .pending],
                "two in flight, two waiting")
        await gates.gates[1].open()
        await fixture.dispatcher.waitForOrders(3)
        #expect(fixture.dispatcher.orders.map(\.step) == ["price[0]", "price[1]", "price[2]"])
        for gate in gates.gates { await gate.open() }
        let snapshot = try await fixture.finished(run.id)
        #expect(snapshot.run.status == .completed)
        let quotes = JSONValue.array(["A", "B", "C", "D"].map { .object(["quote": .string($0)]) })
        #expect(snapshot.steps.first { $0.stepID == "price" }?.output == quotes)
        #expect(fixture.dispatcher.orders.last?.input == .object(["quotes": quotes]))
        #expect(fixture.dispatcher.orders.first?.input == .object(["symbol": .string("A"), "also": .null]))
        #expect(Set(fixture.dispatcher.orders.map(\.idempotencyKey)).count == 5)
    }

    @Test func aFailedElementFailsTheStepFastOrIsReportedWhenCarryingOn() async throws {
        let fixture = try EngineFixture { order in
            order.input.value(at: ["symbol"]) == .string("BAD") ? .error("unknown_symbol", "no such symbol") : .ok(.object(["ok": .bool(true)]))
        }
        defer { fixture.remove() }
        let failing = try await fixture.start(Self.workflow.replacingOccurrences(of: "max_parallel: 2", with: "max_parallel: 1"),
                                              input: Self.input(["A", "BAD", "C"]))
        let failed = try await fixture.finished(failing.id)
        #expect(failed.run.status == .failed && failed.run.errorCode == "unknown_symbol")
        #expect(failed.run.errorMessage?.contains("element 1 failed: no such symbol") == true, "\(failed.run.errorMessage ?? "")")
        #expect(failed.steps.first { $0.stepID == "price[2]" }?.status == .cancelled, "fail fast: the rest never ran")
        #expect(!fixture.dispatcher.orders.contains { $0.run == failing.id && $0.step == "price[2]" })

        let carrying = try await fixture.start(Self.workflow.replacingOccurrences(of: "max_parallel: 2", with: "on_element_failure: continue"),
                                               input: Self.input(["A", "BAD", "C"]))
        let done = try await fixture.finished(carrying.id)
        #expect(done.run.status == .completed)
        let output = try #require(done.steps.first { $0.stepID == "price" }?.output)
        #expect(output.value(at: ["1", "error", "code"]) == .string("unknown_symbol") && output.value(at: ["2", "ok"]) == .bool(true), "\(output)")
    }

    @Test func aRestartSendsAgainOnlyTheInstancesInFlight() async throws {
        let never = Gate()
        let first = try EngineFixture { order in
            if order.step == "price[1]" { await never.wait() }
            return .ok(.object(["quote": order.input.value(at: ["symbol"]) ?? .null]))
        }
        defer { first.remove() }
        let run = try await first.start(Self.workflow.replacingOccurrences(of: "max_parallel: 2", with: "max_parallel: 1"),
                                        input: Self.input(["A", "B", "C"]))
        await first.dispatcher.waitForOrders(2)
        await first.engine.shutDown()

        let second = try first.restarted { order in .ok(.object(["quote": order.input.value(at: ["symbol"]) ?? .null])) }
        #expect(try await second.engine.resume() == 1)
        let snapshot = try await second.finished(run.id)
        #expect(snapshot.run.status == .completed)
        #expect(second.dispatcher.orders.map(\.step) == ["price[1]", "price[2]", "report"], "price[0] is not sent again")
        #expect(second.dispatcher.orders.first?.idempotencyKey == first.dispatcher.orders.last?.idempotencyKey, "the same attempt, the same key")
        #expect(snapshot.steps.first { $0.stepID == "price" }?.output == .array(["A", "B", "C"].map { .object(["quote": .string($0)]) }))
    }

    @Test func anEmptyListSucceedsAtOnceAndANonListOrAnOversizedOneFailsTheStep() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let empty = try await fixture.finished(try await fixture.start(Self.workflow, input: Self.input([])).id)
        #expect(empty.run.status == .completed && empty.steps.first { $0.stepID == "price" }?.output == .array([]))
        let wrong = try await fixture.finished(try await fixture.start(Self.workflow.replacingOccurrences(of: "{type: array}", with: "{type: any}"),
                                                                       input: .object(["symbols": .string("A")])).id)
        #expect(wrong.run.status == .failed && wrong.run.errorCode == "bad_request")
        #expect(wrong.run.errorMessage?.contains("is not a list") == true, "\(wrong.run.errorMessage ?? "")")
        let huge = try await fixture.finished(try await fixture.start(Self.workflow,
                                                                      input: Self.input((0...ForEach.maximumElements).map { "s\($0)" })).id)
        #expect(huge.run.status == .failed && huge.run.errorMessage?.contains("has 10001 elements; at most 10000") == true, "\(huge.run)")
        #expect(!huge.steps.contains { $0.stepID.rawValue.hasPrefix("price[") }, "no instance was created")
    }
}
