import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyTestSupport
import ColonyWire
import Foundation
import Testing

/// The failure gate's promise, across processes: once a run's failure is persisted, no handler
/// in any agent starts for it, and none reports success for it, after the failure reached that
/// agent; the run ends failed with the failing step's reason; what was skipped is listed.
///
/// Set COLONY_GATE_ROUNDS to repeat, and COLONY_GATE_REPORT=FILE to append one line per agent
/// and run: milliseconds from the failure being persisted to that agent knowing it
/// (`scripts/bench-gate` does both and prints the distribution).
@Suite(.serialized) struct FailureGateGuaranteeTests {
    static let workflow = """
    workflows:
      - name: guarded
        description: Three branches over several agent processes; branch c fails (at ~120 ms, long before a2 and b3 end, however loaded the machine).
        steps:
          - {id: a1, capability: echo.announce, params: {branch: a, audit: {delay_ms: 30}}}
          - {id: a2, capability: echo.sleep, depends_on: [a1], params: {ms: 3000}}
          - {id: a3, capability: echo.announce, depends_on: [a2], params: {branch: a, audit: {delay_ms: 30}}}
          - {id: a4, capability: echo.sleep, depends_on: [a3], params: {ms: 150}}
          - {id: b1, capability: echo.sleep, params: {ms: 80}}
          - {id: b2, capability: echo.announce, depends_on: [b1], params: {branch: b, audit: {delay_ms: 200}}}
          - {id: b3, capability: echo.sleep, depends_on: [b2], params: {ms: 3000}}
          - {id: c1, capability: echo.sleep, params: {ms: 120}}
          - {id: c2, capability: math.div, depends_on: [c1], params: {a: 1, b: 0}}
    """

    typealias Deployment = WorkflowIntegrationTests.Deployment

    @Test func noHandlerWorksOnARunOnceItsFailureReachedIt() async throws {
        let deployment = try await Deployment(workflows: Self.workflow)
        defer { deployment.stop() }
        for agent in ["echo", "echo", "math", "audit"] { try deployment.startAgent(agent) }
        try await deployment.startOrchestrator()
        let client = deployment.bus.client
        #expect(try await waitForAgents(client, capability: "echo.sleep", count: 2))
        #expect(try await waitForAgents(client, capability: "math.div"))
        // The audit agent only subscribes (it offers no capability); give that a moment to reach the broker.
        try await Task.sleep(for: .milliseconds(300))

        let rounds = Int(ProcessInfo.processInfo.environment["COLONY_GATE_ROUNDS"] ?? "") ?? 1
        var report: [String] = []
        for _ in 0..<rounds {
            let run = try await deployment.start("guarded")
            let detail = try #require(try await deployment.finished(run.id))
            #expect(detail.run.status == .failed)
            #expect(detail.run.errorCode == "division_by_zero" && detail.run.errorMessage?.contains("'c2'") == true, "\(detail.run)")
            let failedAt = try #require(detail.run.finishedAt)

            // The engine: nothing dispatched after the failure; the open steps were cancelled.
            let failure = try #require(detail.transitions.firstIndex { $0.stepID == nil && $0.to == "failed" })
            #expect(!detail.transitions[failure...].contains { $0.to == "dispatched" })
            for step in ["a3", "a4", "b3"] {
                #expect(detail.steps.first { $0.stepID.rawValue == step }?.status == .cancelled, "\(step) was never started")
            }

            // A late event and a late request of the run, as a straggler would send them.
            let straggler = Publisher(endpoints: deployment.bus.endpoints, source: "straggler")
            try await straggler.connect()
            try await Task.sleep(for: .milliseconds(100))
            try await straggler.publish(EchoAnnounced.topic, EchoAnnounced(branch: "late"), metadata: RequestMetadata(correlationID: run.id.rawValue))
            await #expect {
                _ = try await client.request("echo", body: [Array("{}".utf8)], timeout: .generous, metadata: RequestMetadata(correlationID: run.id.rawValue))
            } throws: { error in
                guard case .failed(let wire) = error as? RequestError else { return false }
                return wire.code == .workflowFailed
            }

            // Every agent process learned the failure, and none started or finished a handler
            // of the run as a success after that (in the order each process wrote its journal).
            let entries = try #require(try await eventually {
                let all = try deployment.entries().filter { $0.run == run.id }
                return all.contains { $0.event == "skipped" && $0.handler.contains("audit") } ? all : nil
            })
            let pids = Set(try deployment.entries().map(\.pid))
            for pid in pids {
                let mine = entries.filter { $0.pid == pid }
                guard let learned = mine.firstIndex(where: { $0.event == "learned" }) else {
                    Issue.record("agent process \(pid) never learned that run \(run.id) failed")
                    continue
                }
                let late = mine[learned...].filter { $0.event == "started" || $0.event == "succeeded" }
                #expect(late.isEmpty, "process \(pid) worked on the run after learning it failed: \(late)")
                let delay = Int64(mine[learned].t) - Int64((failedAt.timeIntervalSince1970 * 1000).rounded())
                report.append("\(run.id) \(pid) \(mine[learned].agent ?? "?") \(delay)")
            }
            // `colony workflow show` lists what was skipped where.
            let skipped = try #require(try await eventually {
                let skips = try await deployment.show(run.id).skipped
                return skips.contains { $0.agent == "audit" } ? skips : nil
            })
            #expect(skipped.allSatisfy { $0.status == .failed && $0.reason.contains("division_by_zero") })
        }
        if let path = ProcessInfo.processInfo.environment["COLONY_GATE_REPORT"] {
            let text = report.joined(separator: "\n") + "\n"
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(text.utf8))
                try handle.close()
            } else {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
    }

    struct EchoAnnounced: Codable, Sendable {
        static let topic = "echo.announced"
        var branch: String
    }
}
