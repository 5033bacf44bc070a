import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyTestSupport
import ColonyWire
import Foundation
import Testing

/// The failure gate across restarts: the broker remembers ended runs in memory only, so the
/// orchestrator re-announces them to every new broker instance, and the broker holds requests
/// of runs until it has (or `gate_recovery` passes).
@Suite(.serialized) struct GateRestartTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: divide
        steps: [{id: d, capability: math.div, params: {a: 1, b: 0}}]
    """

    @Test func aFailedRunStaysFailedForARestartedBrokerAndFreshAgents() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("math")
        try await deployment.startOrchestrator()
        let client = deployment.bus.client
        #expect(try await waitForAgents(client, capability: "math.div"))
        let run = try await deployment.start("divide")
        let failed = try #require(try await deployment.finished(run.id))
        #expect(failed.run.status == .failed)
        let before = try await client.management(ManagementService.boot, timeout: .generous).text

        // kill -9 the broker and start a new one on the same endpoints, with a fresh agent.
        deployment.bus.harness.signal(deployment.bus.broker, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(deployment.bus.broker))
        try deployment.bus.startBroker()
        try deployment.startAgent("echo")
        #expect(try await waitForAgents(client, capability: "echo"))
        #expect(try await client.management(ManagementService.boot, timeout: .generous).text != before, "a new broker instance")

        // Work of the failed run is refused by the new broker (before the fix it went through).
        await #expect {
            _ = try await client.request("echo", body: [Array("{}".utf8)], timeout: .seconds(10), metadata: RequestMetadata(correlationID: run.id.rawValue))
        } throws: { error in
            guard case .failed(let wire) = error as? RequestError else { return false }
            return wire.code == .workflowFailed
        }
        let known = try await client.management(ManagementService.failedRuns, timeout: .generous).decode([FailedRun].self)
        #expect(known.contains { $0.run == run.id.rawValue && $0.status == .failed })
        // Work of other runs goes through.
        let other = try await client.request("echo", body: [Array("{}".utf8)], timeout: .seconds(10), metadata: RequestMetadata(correlationID: "another-run"))
        #expect(other.text == "{}")
    }
}
