import ColonyCore
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyTestSupport
import ColonyWire
import ColonyWorkflow
import Foundation
import Testing

/// The orchestrator as deployed: a broker, agent processes and `colony orchestrator` on a
/// real SQLite file, driven over the bus and through the CLI.
@Suite(.serialized) struct WorkflowIntegrationTests {
    /// A bus plus an orchestrator process, with its own configuration, database, workflows
    /// file and an execution journal shared by its agents.
    final class Deployment {
        let bus: TestBus
        let configFile: URL
        let journal: URL
        var orchestrator: Process?

        let database: URL

        /// `database`: where the orchestrator keeps its state (default: a SQLite file in the test's directory).
        init(workflows: String, orchestratorSettings: String = "", brokerLiveness: Int = 10, database kind: DatabaseKind = .sqlite) async throws {
            bus = try await TestBus(expiryMs: 5000, liveness: brokerLiveness)
            let directory = bus.harness.directory
            configFile = directory.appendingPathComponent("colony.yaml")
            journal = directory.appendingPathComponent("journal.jsonl")
            database = directory.appendingPathComponent("colony.sqlite")
            let databaseSetting = try await kind.setting(in: directory)
            let workflowsFile = directory.appendingPathComponent("workflows.yaml")
            try workflows.write(to: workflowsFile, atomically: true, encoding: .utf8)
            try """
            broker:
              endpoint: \(bus.endpoints.requests)
              publish_endpoint: \(bus.endpoints.publish)
              subscribe_endpoint: \(bus.endpoints.subscribe)
              heartbeat_interval: 100ms
            security:
              mode: none
            http:
              endpoint: 127.0.0.1:0
            orchestrator:
              database: "\(databaseSetting)"
              workflows: [\(workflowsFile.path)]
            \(orchestratorSettings.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
            """.write(to: configFile, atomically: true, encoding: .utf8)
        }

        @discardableResult
        func startAgent(_ name: String, environment: [String: String] = [:]) throws -> Process {
            try bus.harness.colony(["agent", "run", name] + bus.endpoints.flags + ["--heartbeat", "100ms"], name: name,
                                   environment: environment.merging(["COLONY_EXECUTION_JOURNAL": journal.path]) { $1 })
        }

        /// Starts `colony orchestrator`; waits until an orchestrator serves the bus unless told not to
        /// (a standby one does not serve until it takes over).
        @discardableResult
        func startOrchestrator(waitUntilServing: Bool = true) async throws -> Process {
            let process = try bus.harness.colony(["orchestrator", "--config", configFile.path, "--log-level", "debug"], name: "orchestrator")
            orchestrator = process
            if waitUntilServing { #expect(try await waitForAgents(bus.client, capability: OrchestratorAPI.run)) }
            return process
        }

        func start(_ workflow: String, input: JSONValue? = nil) async throws -> RunRecord {
            try await bus.client.request(OrchestratorAPI.run, OrchestratorAPI.RunRequest(workflow: workflow, input: input, priority: nil),
                                         as: RunRecord.self, timeout: .seconds(10))
        }

        func show(_ run: RunID) async throws -> OrchestratorAPI.RunDetail {
            try await bus.client.request(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: run), as: OrchestratorAPI.RunDetail.self,
                                         timeout: .generous)
        }

        /// Waits until the run is final and returns it.
        func finished(_ run: RunID, timeout: Duration = .seconds(60)) async throws -> OrchestratorAPI.RunDetail? {
            try await eventually(timeout: timeout) {
                let detail = try await self.show(run)
                return detail.run.status.isFinal ? detail : nil
            }
        }

        /// The journal's lines, decoded.
        func entries() throws -> [JournalEntry] { try journalEntries(journal) }

        func stop() { bus.stop() }
    }

    struct JournalEntry: Codable {
        var t: UInt64
        var event: String
        var pid: Int32
        var handler: String
        var agent: String?
        var run: RunID?
        var step: StepID?
        var key: String?
    }

    static let shippedWorkflows: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("configs/workflows.yaml"), encoding: .utf8)) ?? ""
    }()

    @Test func theShippedExamplesRunAgainstTheExampleAgents() async throws {
        let deployment = try await Deployment(workflows: Self.shippedWorkflows)
        defer { deployment.stop() }
        for agent in ["echo", "math", "flaky"] { try deployment.startAgent(agent) }
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "flaky.fetch"))

        let simple = try await deployment.start("simple_test")
        let simpleDone = try #require(try await deployment.finished(simple.id))
        #expect(simpleDone.run.status == .completed)
        #expect(simpleDone.run.output?.value(at: ["add", "result"]) == .number(42))

        let fan = try await deployment.start("fan_out_fan_in", input: .object(["x": .number(7), "y": .number(9)]))
        let fanDone = try #require(try await deployment.finished(fan.id))
        #expect(fanDone.run.output?.value(at: ["total", "result"]) == .number(130))
        #expect(fanDone.steps.first { $0.stepID == "announce" }?.status == .succeeded, "130 > 100, so the condition holds")

        let flaky = try await deployment.start("flaky_fetch")
        let flakyDone = try #require(try await deployment.finished(flaky.id))
        #expect(flakyDone.run.status == .completed)
        #expect(flakyDone.attempts.filter { $0.stepID == "fetch" }.map(\.status) == [.failed, .failed, .succeeded], "two transient failures, then success")
        #expect(flakyDone.attempts.filter { $0.stepID == "fetch" }.map(\.idempotencyKey) == (1...3).map { "\(flaky.id)/fetch/\($0)" })

        let failing = try await deployment.start("failing_division")
        let failingDone = try #require(try await deployment.finished(failing.id))
        #expect(failingDone.run.status == .failed && failingDone.run.errorCode == "division_by_zero")
        #expect(failingDone.attempts.filter { $0.stepID == "divide" }.count == 1, "division_by_zero is not retried")
        let report = try #require(failingDone.attempts.first { $0.stepID == "report" })
        #expect(report.status == .succeeded && report.input.value(at: ["failed_step"]) == .string("divide"), "the compensation saw the failure")

        // The approval, as the README shows it: it waits until the signal comes.
        let approval = try await deployment.start("manual_approval")
        _ = try await eventually { try await deployment.show(approval.id).waiting.first { $0.contains("waits for signal 'approve'") } }
        let approved = try await deployment.bus.harness.run(["workflow", "signal", approval.id.rawValue, "approve", "--data", #"{"ok": true, "by": "ana"}"#,
                                                       "--config", deployment.configFile.path])
        #expect(approved.status == 0, "\(approved.output)")
        let approvalDone = try #require(try await deployment.finished(approval.id))
        #expect(approvalDone.steps.first { $0.stepID == "ship" }?.output?.value(at: ["approved_by"]) == .string("ana"), "\(approvalDone.steps)")

        // The fan-out: one math.mul per line, totals in line order.
        let basket = try await deployment.start("price_basket")
        let basketDone = try #require(try await deployment.finished(basket.id))
        #expect(basketDone.steps.first { $0.stepID == "line_totals" }?.output
                == .array([19, 30, 6].map { .object(["result": .number($0)]) }), "\(basketDone.steps)")

        // The same through the CLI, as a user would.
        let cli = try await deployment.bus.harness.run(["workflow", "run", "simple_test", "--wait", "--config", deployment.configFile.path])
        #expect(cli.status == 0 && cli.output.contains("step add") && cli.output.contains("\"result\":42"), "\(cli.output)")
        #expect(cli.output.contains("simple_test (version 1)"), "versions are numbered per workflow, from 1: \(cli.output)")
        let refused = try await deployment.bus.harness.run(["workflow", "run", "simple_tset", "--config", deployment.configFile.path])
        #expect(refused.status == 2 && refused.output.contains("did you mean 'simple_test'"), "\(refused.output)")
        let badInput = try await deployment.bus.harness.run(["workflow", "run", "simple_test", "--input", #"{"a":"ten"}"#, "--config", deployment.configFile.path])
        #expect(badInput.status == 2 && badInput.output.contains("input 'a' must be number"), "\(badInput.output)")
        let failed = try await deployment.bus.harness.run(["workflow", "run", "failing_division", "--wait", "--config", deployment.configFile.path])
        #expect(failed.status == 1 && failed.output.contains("division_by_zero"), "\(failed.output)")
        let stats = try await deployment.bus.harness.run(["workflow", "stats", "failing_division", "--json", "--config", deployment.configFile.path])
        #expect(stats.output.contains("\"failed\" : 2"), "\(stats.output)")

        // Nothing silently succeeds: an ended run is not cancelled, unknown names are errors.
        let lateCancel = try await deployment.bus.harness.run(["workflow", "cancel", failing.id.rawValue, "--config", deployment.configFile.path])
        #expect(lateCancel.status == 1 && lateCancel.output.contains("already failed"), "\(lateCancel.output)")
        for command in ["stats", "history"] {
            let typo = try await deployment.bus.harness.run(["workflow", command, "failing_divison", "--config", deployment.configFile.path])
            #expect(typo.status == 2 && typo.output.contains("did you mean 'failing_division'"), "\(command): \(typo.output)")
        }
    }

    static let timing = """
    workflows:
      - name: parallel
        steps:
          - {id: left, capability: echo.sleep, params: {ms: 400}}
          - {id: right, capability: echo.sleep, params: {ms: 400}}
          - {id: join, capability: echo, depends_on: [left, right], params: {done: true}}
      - name: impatient
        steps:
          - id: slow
            capability: echo.sleep
            params: {ms: 5000}
            timeout: 200ms
            retry: {max_attempts: 2, initial_interval: 50ms}
      - name: long
        steps:
          - {id: first, capability: echo.sleep, params: {ms: 30000}}
          - {id: second, capability: echo, depends_on: [first]}
    """

    @Test func parallelStepsOverlapTimeoutsRetryAndCancelStopsARun() async throws {
        let deployment = try await Deployment(workflows: Self.timing)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))

        let parallel = try await deployment.start("parallel")
        let parallelDone = try #require(try await deployment.finished(parallel.id))
        #expect(parallelDone.run.status == .completed)
        let entries = try deployment.entries().filter { $0.run == parallel.id }
        func time(_ step: String, _ event: String) -> UInt64? { entries.first { $0.step?.rawValue == step && $0.event == event }?.t }
        let leftEnd = try #require(time("left", "succeeded")), rightEnd = try #require(time("right", "succeeded"))
        let leftStart = try #require(time("left", "started")), rightStart = try #require(time("right", "started"))
        #expect(rightStart < leftEnd && leftStart < rightEnd, "independent steps ran at the same time")
        #expect(try #require(time("join", "started")) >= max(leftEnd, rightEnd), "the join waited for both")

        let impatient = try await deployment.start("impatient")
        let impatientDone = try #require(try await deployment.finished(impatient.id))
        #expect(impatientDone.run.status == .failed && impatientDone.run.errorCode == "timeout")
        #expect(impatientDone.attempts.map(\.errorCode) == ["timeout", "timeout"], "each attempt timed out, and was retried once")

        let long = try await deployment.start("long")
        _ = try await eventually { try deployment.entries().contains { $0.run == long.id && $0.event == "started" } ? true : nil }
        let cancel = try await deployment.bus.harness.run(["workflow", "cancel", long.id.rawValue, "--reason", "operator said so", "--config", deployment.configFile.path])
        #expect(cancel.status == 0 && cancel.output.contains("cancelled"), "\(cancel.output)")
        let longDone = try #require(try await deployment.finished(long.id))
        #expect(longDone.run.status == .cancelled)
        #expect(longDone.steps.allSatisfy { $0.status == .cancelled })
        // Agents learn it: the broker's failure gate refuses new requests of the run.
        let gate = try await deployment.bus.client.management(ManagementService.failedRuns, timeout: .generous).decode([FailedRun].self)
        #expect(gate.contains { $0.run == long.id.rawValue && $0.status == .cancelled && $0.reason.contains("operator said so") })
    }

    @Test func aRunKeepsItsVersionWhenTheFileChanges() async throws {
        let original = """
        workflows:
          - name: versioned
            steps:
              - {id: wait, capability: echo.sleep, params: {ms: 500}}
              - {id: say, capability: echo, depends_on: [wait], params: {text: old}}
        """
        let deployment = try await Deployment(workflows: original)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        let first = try await deployment.start("versioned")
        try original.replacingOccurrences(of: "text: old", with: "text: new")
            .write(to: deployment.bus.harness.directory.appendingPathComponent("workflows.yaml"), atomically: true, encoding: .utf8)
        let second = try await deployment.start("versioned")
        #expect(second.definitionID != first.definitionID, "an edited file is a new version")
        let firstDone = try #require(try await deployment.finished(first.id))
        let secondDone = try #require(try await deployment.finished(second.id))
        #expect(firstDone.run.output?.value(at: ["say", "text"]) == .string("old"), "a running run keeps the version it started with")
        #expect(secondDone.run.output?.value(at: ["say", "text"]) == .string("new"))
    }

    @Test func sigtermLetsAttemptsInFlightFinishAndLeavesTheRestResumable() async throws {
        let deployment = try await Deployment(workflows: """
        workflows:
          - name: steps
            steps:
        \((0..<4).map { "      - {id: s\($0), capability: echo.sleep, params: {ms: 400}\($0 == 0 ? "" : ", depends_on: [s\($0 - 1)]")}" }.joined(separator: "\n"))
        """)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        let run = try await deployment.start("steps")
        _ = try await eventually { try deployment.entries().contains { $0.run == run.id && $0.step == "s1" && $0.event == "started" } ? true : nil }
        deployment.bus.harness.signal(orchestrator, SIGTERM)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        #expect(ProcessHarness.exitCode(ofEnded: orchestrator) == 0)
        let store = try SQLiteWorkflowStore(path: deployment.database.path)
        let stopped = try await store.snapshot(run: run.id)
        #expect(stopped.steps.first { $0.stepID == "s1" }?.status == .succeeded, "the attempt in flight finished within the grace period")
        #expect(stopped.run.status == .running, "the rest is left for the next start")

        try await deployment.startOrchestrator()
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        let successes = try deployment.entries().filter { $0.run == run.id && $0.event == "succeeded" }.map { $0.step ?? "?" }
        #expect(successes.sorted() == ["s0", "s1", "s2", "s3"], "each step ran once: \(successes)")
    }

    static let chains = """
    workflows:
      - name: chains
        steps:
    \((0..<3).flatMap { chain in (0..<8).map { step in
        "      - {id: c\(chain)s\(step), capability: echo.sleep, params: {ms: 60}\(step == 0 ? "" : ", depends_on: [c\(chain)s\(step - 1)]")}"
    } }.joined(separator: "\n"))
    """

    @Test(arguments: DatabaseKind.available) func killingTheOrchestratorMidRunLosesAndRepeatsNothing(_ kind: DatabaseKind) async throws {
        let deployment = try await Deployment(workflows: Self.chains, database: kind)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        var orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        let run = try await deployment.start("chains")

        // Kill -9 twice while steps are in flight, restarting each time.
        for threshold in [4, 12] {
            _ = try await eventually(timeout: .seconds(30)) {
                try deployment.entries().filter { $0.run == run.id && $0.event == "succeeded" }.count >= threshold ? true : nil
            }
            deployment.bus.harness.signal(orchestrator, SIGKILL)
            #expect(await deployment.bus.harness.waitForExit(orchestrator))
            orchestrator = try await deployment.startOrchestrator()
        }
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        #expect(done.steps.count == 24 && done.steps.allSatisfy { $0.status == .succeeded })

        let entries = try deployment.entries().filter { $0.run == run.id }
        var successes: [String: Int] = [:]
        for entry in entries where entry.event == "succeeded" { successes[entry.step?.rawValue ?? "?", default: 0] += 1 }
        #expect(successes.count == 24 && successes.values.allSatisfy { $0 == 1 }, "every step succeeded exactly once: \(successes)")
        #expect(entries.filter { $0.event != "learned" }.allSatisfy { $0.key?.hasSuffix("/1") == true },
                "re-dispatches reused the first attempt's idempotency key")
    }
}

/// The lines of agents' execution journal (`COLONY_EXECUTION_JOURNAL`) so far.
func journalEntries(_ journal: URL) throws -> [WorkflowIntegrationTests.JournalEntry] {
    guard let data = FileManager.default.contents(atPath: journal.path) else { return [] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONDecoder().decode(WorkflowIntegrationTests.JournalEntry.self, from: Data($0.utf8))
    }
}
