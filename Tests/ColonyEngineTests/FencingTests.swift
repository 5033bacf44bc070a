import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyTestSupport
import Foundation
import Testing

/// Fencing by term: once another orchestrator took the lease, every write of the old holder is
/// refused in its own transaction, and an engine whose write was refused acts no more. A
/// refusal is waited for with a deadline, so a fence that lets a write through fails the test
/// instead of hanging it.
@Suite struct FencingTests {
    static let twoSteps = """
    name: two
    steps:
      - {id: first, capability: x}
      - {id: second, capability: x, depends_on: [first]}
    """

    @Test func writesUnderAnOldTermAreRefusedAndTripTheFence() async throws {
        let fixture = try EngineFixture { _ in .ok() }
        defer { fixture.remove() }
        let t0 = fixture.clock.now
        let a = fixture.store, b = try SQLiteWorkflowStore(path: fixture.store.path)
        #expect(try await a.acquireLease(OrchestratorLease.name, holder: "a", duration: .seconds(6), now: t0) == 1)
        let fence = LeaseFence(lease: OrchestratorLease.name, holder: "a", term: 1)
        a.fence(fence)
        let (id, _) = try await fixture.workflow(Self.twoSteps)
        #expect(try await a.ensureSchedule(ScheduleRecord(name: "s", workflow: "two", origin: .file, createdAt: t0)).name == "s")
        // b takes the lease once a's lapsed (a stalled): a's writes are refused from then on.
        #expect(try await b.acquireLease(OrchestratorLease.name, holder: "b", duration: .seconds(6), now: t0.addingTimeInterval(7)) == 2)
        await #expect(throws: StoreError.superseded(lease: OrchestratorLease.name, term: 1, by: "b (term 2)")) {
            try await a.createRun(RunRecord(id: "r1", workflow: "two", definitionID: id, input: .object([:]), createdAt: t0), steps: ["first", "second"])
        }
        #expect(fence.isTripped)
        await #expect(throws: StoreError.self) { try await a.setPaused("s", paused: true, reason: nil) }
        // Its own lease calls are not fenced: the renewal is simply not granted.
        #expect(try await a.acquireLease(OrchestratorLease.name, holder: "a", duration: .seconds(6), now: t0.addingTimeInterval(8)) == nil)
        // b writes, fenced by its own term.
        b.fence(LeaseFence(lease: OrchestratorLease.name, holder: "b", term: 2))
        try await b.setPaused("s", paused: true, reason: "b")
        #expect(try await b.schedules().first?.paused == true)
    }

    @Test func anEngineWhoseWriteIsRefusedSendsNothingMore() async throws {
        let release = Gate()
        let fixture = try EngineFixture { order in
            if order.step == "first" { await release.wait() }
            return .ok()
        }
        defer { fixture.remove() }
        let t0 = fixture.clock.now
        #expect(try await fixture.store.acquireLease(OrchestratorLease.name, holder: "a", duration: .seconds(6), now: t0) == 1)
        let fence = LeaseFence(lease: OrchestratorLease.name, holder: "a", term: 1)
        fixture.store.fence(fence)
        let run = try await fixture.start(Self.twoSteps)
        await fixture.dispatcher.waitForOrders(1)

        let successor = try SQLiteWorkflowStore(path: fixture.store.path)
        #expect(try await successor.acquireLease(OrchestratorLease.name, holder: "b", duration: .seconds(6), now: t0.addingTimeInterval(7)) == 2)
        // The first step's answer comes back to a: recording it is refused, so the second step
        // (which only that record would start) is never sent, and nothing a decides is written.
        await release.open()
        #expect(try await until { fence.isTripped }, "the first step's record was refused")
        // Steering is refused, a new run cannot start.
        await #expect(throws: EngineError.self) { try await fixture.engine.cancel(run: run.id, reason: "too late") }
        await #expect(throws: (any Error).self) { try await fixture.start(Self.twoSteps) }
        let stored = try await successor.snapshot(run: run.id)
        #expect(stored.run.status == .running)
        #expect(stored.steps.first { $0.stepID == "first" }?.status == .dispatched, "the new holder re-sends it")
        #expect(stored.steps.first { $0.stepID == "second" }?.status == .pending)
        #expect(fixture.dispatcher.orders.map(\.step) == ["first"])
    }
}
