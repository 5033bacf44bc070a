import ColonyCore
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyWire
import Foundation
import Testing

/// One execution per attempt with several replicas: an attempt sent again with its key goes to
/// the agent that has it while that agent lives; only when it is lost does another run it, and
/// that is said in the journal and in the attempt's record.
@Suite(.serialized) struct OneExecutionTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: slow
        steps: [{id: wait, capability: echo.sleep, params: {ms: 2500}, timeout: 30s}]
    """

    func started(_ deployment: Deployment, run: RunID) throws -> [WorkflowIntegrationTests.JournalEntry] {
        try deployment.entries().filter { $0.run == run && $0.step == "wait" && $0.event == "started" }
    }

    /// Two echo replicas and an orchestrator, with the slow step started on one of them.
    func slowStepRunning(_ deployment: Deployment) async throws -> (orchestrator: Process, run: RunID, holder: WorkflowIntegrationTests.JournalEntry) {
        let first = try deployment.startAgent("echo")
        let second = try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep", count: 2))
        let run = try await deployment.start("slow")
        let holder = try #require(try await eventually { try started(deployment, run: run.id).first })
        #expect([first.processIdentifier, second.processIdentifier].contains(holder.pid))
        return (orchestrator, run.id, holder)
    }

    /// Waits for the run to complete and checks its step started once, in any process.
    func completedWithOneStart(_ deployment: Deployment, run: RunID) async throws {
        let done = try #require(try await deployment.finished(run))
        #expect(done.run.status == .completed)
        let starts = try started(deployment, run: run)
        #expect(starts.count == 1, "\(starts)")
    }

    /// The re-sent delivery goes to the replica that is running it (the other one is idle, so
    /// the broker would pick it): one start, and the repeat is joined.
    @Test func anOrchestratorCrashMidAttemptDoesNotRunItOnTheOtherReplica() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        let (orchestrator, run, _) = try await slowStepRunning(deployment)
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        try await completedWithOneStart(deployment, run: run)
    }

    /// Both the broker and the orchestrator die while an attempt runs: the new broker knows
    /// nothing of it, but the orchestrator recorded which instance got it before that instance
    /// started it, and re-sends it there (the instance reconnects to the new broker in time).
    @Test func brokerAndOrchestratorKilledMidAttemptStillRunItOnce() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        let (orchestrator, run, holder) = try await slowStepRunning(deployment)
        let recorded = try await eventually {
            try await deployment.show(run).attempts.first { $0.stepID == "wait" }?.instance
        }
        #expect(recorded?.rawValue.hasSuffix("-\(holder.pid)") == true, "the attempt's instance is recorded before it finishes: \(recorded?.rawValue ?? "-")")
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        deployment.bus.harness.signal(deployment.bus.broker, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        #expect(await deployment.bus.harness.waitForExit(deployment.bus.broker))
        try deployment.bus.startBroker()
        try await deployment.startOrchestrator()
        try await completedWithOneStart(deployment, run: run)
    }

    @Test func anAttemptRunsAgainOnlyWhenItsAgentIsLostAndSaysSo() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        let first = try deployment.startAgent("echo")
        let second = try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep", count: 2))
        let run = try await deployment.start("slow")
        let holder = try #require(try await eventually { try started(deployment, run: run.id).first })
        let victim = holder.pid == first.processIdentifier ? first : second
        deployment.bus.harness.signal(victim, SIGKILL)
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        let reexecuted = try deployment.entries().filter { $0.run == run.id && $0.event == "reexecuted" }
        #expect(reexecuted.count == 1 && reexecuted.first?.pid != victim.processIdentifier, "\(reexecuted)")
        let attempt = try #require(done.attempts.first { $0.stepID == "wait" })
        #expect(attempt.agent?.contains("re-executed after agent loss") == true, "\(attempt.agent ?? "-")")
    }
}
