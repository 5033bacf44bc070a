import ColonyAgent
import ColonyCore
import ColonyOrchestrator
import ColonyTestSupport
import Foundation
import Testing

/// Approvals with real processes: a run waits for a signal across a kill -9 of the
/// orchestrator, a signal sent before its step is reached survives one too, and the CLI says
/// what a run waits for and refuses what no step waits for.
@Suite(.serialized) struct SignalIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: approval
        inputs: {prepare_ms: {type: integer, default: 1}}
        steps:
          - {id: prepare, capability: echo.sleep, params: {ms: "${input.prepare_ms}"}}
          - {id: approve, depends_on: [prepare], wait_for: {signal: approve, timeout: 1h}}
          - id: ship
            capability: echo
            depends_on: [approve]
            condition: "${steps.approve.output.ok} == true"
            params: {by: "${steps.approve.output.by}"}
      - name: gated_approval
        steps:
          - {id: ready, wait_for: {signal: ready}}
          - {id: approve, depends_on: [ready], wait_for: {signal: approve}}
          - {id: ship, capability: echo, depends_on: [approve], condition: "${steps.approve.output.ok} == true", params: {x: 1}}
    """

    func signal(_ deployment: Deployment, _ run: RunID, _ name: String, data: String? = nil) async throws -> (status: Int32, output: String) {
        try await deployment.bus.harness.run(["workflow", "signal", run.rawValue, name, "--config", deployment.configFile.path]
                                       + (data.map { ["--data", $0] } ?? []))
    }

    @Test func aRunWaitsForItsSignalAcrossAKilledOrchestrator() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        let run = try await deployment.start("approval")
        let waiting = try await eventually { try await deployment.show(run.id).waiting.first { $0.contains("waits for signal 'approve' since") } }
        #expect(waiting?.contains("times out at") == true)
        let shown = try await deployment.bus.harness.run(["workflow", "show", run.id.rawValue, "--config", deployment.configFile.path])
        #expect(shown.output.contains("waits for signal 'approve'"), "\(shown.output)")

        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        // The new orchestrator serves once the killed one's lease has lapsed.
        _ = try await eventually(timeout: .seconds(60)) { try? await deployment.show(run.id) }

        let typo = try await signal(deployment, run.id, "aprove")
        #expect(typo.status == 2 && typo.output.contains("waits for 'approve'"), "\(typo.output)")
        let sent = try await signal(deployment, run.id, "approve", data: #"{"ok": true, "by": "ana"}"#)
        #expect(sent.status == 0 && sent.output.contains("taken by step 'approve'"), "\(sent.output)")
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        #expect(done.steps.first { $0.stepID == "ship" }?.output == .object(["by": .string("ana")]))
        let late = try await signal(deployment, run.id, "approve")
        #expect(late.status == 1 && late.output.contains("already completed"), "\(late.output)")
        let ships = try deployment.entries().filter { $0.run == run.id && $0.step == "ship" && $0.event == "succeeded" }
        #expect(ships.count == 1, "ship ran once")
    }

    @Test func aSignalSentEarlySurvivesAKilledOrchestratorAndIsTakenWhenItsStepIsReached() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        // `approve` comes after `ready`, which waits for its own signal: this one is early.
        let run = try await deployment.start("gated_approval")
        let sent = try await signal(deployment, run.id, "approve", data: #"{"ok": false}"#)
        #expect(sent.status == 0 && sent.output.contains("kept until a step waiting for it is reached"), "\(sent.output)")

        // Acknowledged means stored: a kill -9 right after loses nothing.
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        _ = try await eventually(timeout: .seconds(60)) { try? await deployment.show(run.id) }
        let ready = try await signal(deployment, run.id, "ready")
        #expect(ready.status == 0 && ready.output.contains("taken by step 'ready'"), "\(ready.output)")
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        #expect(done.steps.first { $0.stepID == "approve" }?.output == .object(["ok": .bool(false)]))
        #expect(done.steps.first { $0.stepID == "ship" }?.status == .skipped, "the condition read the early signal's data")
    }
}

/// Pause and resume with real processes: a paused run stays paused across kill -9 of the
/// orchestrator, history and the queue show it, and resuming finishes it with nothing run twice.
@Suite(.serialized) struct PauseIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: chain
        steps:
          - {id: prepare, wait_for: {signal: go}}
          - {id: next, capability: echo, depends_on: [prepare], params: {x: 1}}
    """

    @Test func aPausedRunStaysPausedAcrossAKilledOrchestratorAndResumes() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo"))
        let run = try await deployment.start("chain")
        let config = ["--config", deployment.configFile.path]
        // The first step waits for a signal, so the run is running, with nothing after it started.
        _ = try await eventually { try await deployment.show(run.id).waiting.first { $0.contains("waits for signal 'go'") } }
        let paused = try await deployment.bus.harness.run(["workflow", "pause", run.id.rawValue, "--reason", "checking"] + config)
        #expect(paused.status == 0 && paused.output.contains("paused"), "\(paused.output)")
        // The waiting step finishes while paused (signals are taken); nothing after it starts.
        let go = try await deployment.bus.harness.run(["workflow", "signal", run.id.rawValue, "go"] + config)
        #expect(go.status == 0, "\(go.output)")
        let held = try await deployment.show(run.id)
        #expect(held.steps.first { $0.stepID == "prepare" }?.status == .succeeded)
        #expect(held.steps.first { $0.stepID == "next" }?.status == .pending)
        #expect(held.waiting.first?.contains("the run is paused") == true, "\(held.waiting)")

        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        let after = try #require(try await eventually(timeout: .seconds(60)) { try? await deployment.show(run.id) })
        #expect(after.run.status == .paused && after.steps.first { $0.stepID == "next" }?.status == .pending)
        let history = try await deployment.bus.harness.run(["workflow", "history", "--status", "paused"] + config)
        #expect(history.output.contains(run.id.rawValue), "\(history.output)")
        let queue = try await deployment.bus.harness.run(["queue"] + config)
        #expect(queue.output.contains("PAUSED RUN") && queue.output.contains("checking"), "\(queue.output)")
        let again = try await deployment.bus.harness.run(["workflow", "pause", run.id.rawValue] + config)
        #expect(again.status == 1 && again.output.contains("only a running run can be paused"), "\(again.output)")

        let resumed = try await deployment.bus.harness.run(["workflow", "resume", run.id.rawValue] + config)
        #expect(resumed.status == 0, "\(resumed.output)")
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        let executions = try deployment.entries().filter { $0.run == run.id && $0.event == "succeeded" }.map { $0.step?.rawValue ?? "?" }
        #expect(executions == ["next"], "next ran once: \(executions)")
    }
}

/// Retry from the failure with real processes: the CLI retries a failed run with a fixed
/// input; what succeeded is not executed again (the agents' journal says so) and `show` links
/// the two runs.
@Suite(.serialized) struct RetryIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: divide
        inputs: {b: {type: number}}
        steps:
          - {id: numerator, capability: math.add, params: {a: 40, b: 2}}
          - {id: quotient, capability: math.div, depends_on: [numerator], params: {a: "${steps.numerator.output.result}", b: "${input.b}"}}
    """

    @Test func aFailedRunIsRetriedWithAFixedInputAndWhatSucceededRunsOnce() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("math")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.div"))
        let config = ["--config", deployment.configFile.path]
        let old = try await deployment.start("divide", input: .object(["b": .number(0)]))
        #expect(try #require(try await deployment.finished(old.id)).run.status == .failed)

        let notYet = try await deployment.bus.harness.run(["workflow", "retry", old.id.rawValue, "--from", "quotinet"] + config)
        #expect(notYet.status == 2 && notYet.output.contains("has no step 'quotinet'"), "\(notYet.output)")
        let retried = try await deployment.bus.harness.run(["workflow", "retry", old.id.rawValue, "--input", #"{"b": 2}"#, "--json"] + config)
        #expect(retried.status == 0, "\(retried.output)")
        guard case .string(let newID) = try JSONDecoder().decode(JSONValue.self, from: Data(retried.output.utf8)).value(at: ["id"]) ?? .null else {
            Issue.record("no run id: \(retried.output)")
            return
        }
        let record = try await deployment.show(RunID(newID)).run
        let done = try #require(try await deployment.finished(record.id))
        #expect(done.run.status == .completed && done.run.retryOf == old.id)
        #expect(done.steps.first { $0.stepID == "quotient" }?.output?.value(at: ["result"]) == .number(21))
        let numerators = try deployment.entries().filter { $0.step == "numerator" && $0.event == "succeeded" }
        #expect(numerators.count == 1, "numerator ran once, for the first run only")

        let shown = try await deployment.bus.harness.run(["workflow", "show", old.id.rawValue] + config)
        #expect(shown.output.contains("retried   as \(record.id) (completed)"), "\(shown.output)")
        let shownNew = try await deployment.bus.harness.run(["workflow", "show", record.id.rawValue] + config)
        #expect(shownNew.output.contains("retry of  \(old.id)") && shownNew.output.contains("kept from \(old.id)"), "\(shownNew.output)")
    }
}

/// Idempotent submission and tags with real processes: the same id submitted twice starts one
/// run; tags find runs in history.
@Suite(.serialized) struct SubmissionIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: add
        steps: [{id: sum, capability: math.add, params: {a: 1, b: 2}}]
      - name: other
        steps: [{id: sum, capability: math.add, params: {a: 3, b: 4}}]
    """

    @Test func theSameIdStartsOneRunAndTagsFindRuns() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("math")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.add"))
        let config = ["--config", deployment.configFile.path]

        let first = try await deployment.bus.harness.run(["workflow", "run", "add", "--id", "order-17", "--tag", "env=prod", "--tag", "team=ops"] + config)
        #expect(first.status == 0 && first.output.hasPrefix("order-17 "), "\(first.output)")
        let again = try await deployment.bus.harness.run(["workflow", "run", "add", "--id", "order-17"] + config)
        #expect(again.status == 0 && again.output.contains("submitted before"), "\(again.output)")
        let clash = try await deployment.bus.harness.run(["workflow", "run", "other", "--id", "order-17"] + config)
        #expect(clash.status == 1 && clash.output.contains("taken by a run of workflow 'add'"), "\(clash.output)")
        let invalid = try await deployment.bus.harness.run(["workflow", "run", "add", "--id", "a.b"] + config)
        #expect(invalid.status != 0 && invalid.output.contains("a run id must be"), "\(invalid.output)")
        let badTag = try await deployment.bus.harness.run(["workflow", "run", "add", "--tag", "env"] + config)
        #expect(badTag.status != 0 && badTag.output.contains("NAME=VALUE"), "\(badTag.output)")
        _ = try await deployment.bus.harness.run(["workflow", "run", "add", "--tag", "env=dev"] + config)
        #expect(try #require(try await deployment.finished(RunID("order-17"))).run.status == .completed)

        let prod = try await deployment.bus.harness.run(["workflow", "history", "--tag", "env=prod", "--json"] + config)
        let runs = try JSONDecoder().decode(JSONValue.self, from: Data(prod.output.utf8))
        #expect(runs.value(at: ["0", "id"]) == .string("order-17") && runs.value(at: ["1"]) == nil, "\(prod.output)")
        #expect(runs.value(at: ["0", "tags"]) == .object(["env": .string("prod"), "team": .string("ops")]), "\(prod.output)")
        let both = try await deployment.bus.harness.run(["workflow", "history", "--tag", "env=prod", "--tag", "team=dev", "--json"] + config)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(both.output.utf8)) == .array([]), "every tag must match: \(both.output)")
        let all = try await deployment.bus.client.request(OrchestratorAPI.history, OrchestratorAPI.HistoryRequest(workflow: "add", status: nil, since: nil, limit: 10),
                                                          as: OrchestratorAPI.HistoryReply.self, timeout: .generous)
        #expect(all.runs.count == 2, "one run for order-17, one tagged dev")
    }
}

/// Event-triggered workflows with real processes: events published with `colony publish` start
/// runs when `when` holds, a repeated dedupe key starts nothing more (also after kill -9 of the
/// orchestrator), and `colony trigger log` says what each event came to.
@Suite(.serialized) struct TriggerIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: on_order
        inputs: {item: {type: string}, qty: {type: integer}}
        trigger:
          event: demo.order
          when: "${event.qty} > 1"
          input: {item: "${event.item}", qty: "${event.qty}"}
          dedupe: "${event.id}"
        steps:
          - {id: note, capability: echo, params: {item: "${input.item}", qty: "${input.qty}"}}
    """

    func publish(_ deployment: Deployment, _ payload: String) async throws {
        let sent = try await deployment.bus.harness.run(["publish", "demo.order", payload, "--connect-wait", "100ms"] + deployment.bus.endpoints.flags)
        #expect(sent.status == 0, "\(sent.output)")
    }

    func log(_ deployment: Deployment) async throws -> [JSONValue] {
        let shown = try await deployment.bus.harness.run(["trigger", "log", "on_order", "--json", "--limit", "100", "--config", deployment.configFile.path])
        guard case .array(let firings) = (try? JSONDecoder().decode(JSONValue.self, from: Data(shown.output.utf8))) ?? .null else { return [] }
        return firings
    }

    func outcomes(_ deployment: Deployment, key: String) async throws -> [String] {
        try await log(deployment).filter { $0.value(at: ["dedupeKey"]) == .string(key) }.compactMap {
            if case .string(let outcome) = $0.value(at: ["outcome"]) ?? .null { outcome } else { nil }
        }
    }

    @Test func eventsStartRunsOncePerDedupeKeyAcrossAKilledOrchestrator() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo"))

        // The subscription reaches the broker a moment after the orchestrator starts: repeat the
        // event until it is heard (its dedupe key makes the repeats harmless).
        let started = try await eventually(timeout: .seconds(30)) { () async throws -> [String]? in
            try await publish(deployment, #"{"id": "o-1", "item": "widget", "qty": 5}"#)
            let seen = try await outcomes(deployment, key: "o-1")
            return seen.contains("started") ? seen : nil
        }
        #expect(started?.filter { $0 == "started" }.count == 1, "\(started ?? [])")
        // A filtered and a refused event (sent again until heard: a publisher's first events
        // can leave before its connection is up; repeats only add firings of the same kind).
        let firings = try await eventually(timeout: .seconds(30)) { () async throws -> [JSONValue]? in
            try await publish(deployment, #"{"id": "o-2", "item": "widget", "qty": 1}"#)
            try await publish(deployment, #"{"item": "widget", "qty": 3}"#)
            let firings = try await log(deployment)
            let outcomes = Set(firings.compactMap { if case .string(let outcome) = $0.value(at: ["outcome"]) ?? .null { outcome } else { nil } })
            return outcomes.isSuperset(of: ["filtered", "refused"]) ? firings : nil
        } ?? []
        #expect(firings.contains { $0.value(at: ["outcome"]) == .string("filtered") && $0.value(at: ["reason"]) == .string("when is false: ${event.qty} > 1") })
        #expect(firings.contains { $0.value(at: ["outcome"]) == .string("refused") && "\($0)".contains("dedupe key ${event.id} is missing") })

        guard case .string(let run) = firings.first(where: { $0.value(at: ["outcome"]) == .string("started") })?.value(at: ["runID"]) ?? .null else {
            Issue.record("no started firing: \(firings)")
            return
        }
        let done = try #require(try await deployment.finished(RunID(run)))
        #expect(done.run.status == .completed && done.run.input == .object(["item": .string("widget"), "qty": .number(5)]))

        // The same event after a kill -9: a duplicate, no second run.
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        _ = try await eventually(timeout: .seconds(60)) { () async throws -> Bool? in
            try await publish(deployment, #"{"id": "o-1", "item": "widget", "qty": 5}"#)
            return try await outcomes(deployment, key: "o-1").contains("duplicate") ? true : nil
        }
        let runs = try await deployment.bus.client.request(OrchestratorAPI.history, OrchestratorAPI.HistoryRequest(workflow: "on_order", status: nil, since: nil, limit: 10),
                                                           as: OrchestratorAPI.HistoryReply.self, timeout: .generous).runs
        #expect(runs.map(\.id.rawValue) == [run], "one run for o-1, ever")
        let listed = try await deployment.bus.harness.run(["trigger", "list", "--config", deployment.configFile.path])
        #expect(listed.output.contains("demo.order") && listed.output.contains("on_order"), "\(listed.output)")
    }
}

/// Events read from the broker's journal: kill -9 of the orchestrator while it decides a burst
/// of events (some read, some started, some recorded) loses none and starts none twice.
@Suite(.serialized) struct TriggerJournalIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: on_tick
        inputs: {n: {type: integer}}
        trigger: {event: demo.tick, input: {n: "${event.n}"}}
        steps:
          - {id: note, capability: echo, params: {n: "${input.n}"}}
    """

    /// The input `n` of every on_tick run (the newest 1,000).
    static func started(_ client: ColonyClient) async throws -> [Int] {
        let runs = try await client.request(
            OrchestratorAPI.history, OrchestratorAPI.HistoryRequest(workflow: "on_tick", status: nil, since: nil, limit: 1_000),
            as: OrchestratorAPI.HistoryReply.self, timeout: .seconds(10)).runs
        return runs.compactMap { if case .number(let n) = $0.input.value(at: ["n"]) ?? .null { Int(n) } else { nil } }
    }

    func started(_ deployment: Deployment) async throws -> [Int] { try await Self.started(deployment.bus.client) }

    @Test func aBurstOfEventsStartsOneRunPerEventAcrossKilledOrchestrators() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        var orchestrator = try await deployment.startOrchestrator()
        let publisher = Publisher(endpoints: deployment.bus.endpoints, credentials: nil)
        #expect(try await publisher.waitUntilConnected(timeout: .seconds(10)))
        // Armed once an event (n = 0) has started a run: the triggers' first read puts their
        // cursor at the journal's end, so events before it start nothing.
        _ = try await eventually(timeout: .seconds(30)) { () async throws -> Bool? in
            try await publisher.publish("demo.tick", payload: Array(#"{"n": 0}"#.utf8))
            return try await started(deployment).contains(0) ? true : nil
        }
        // 300 events; the orchestrator is killed twice while it works through them, and the
        // events sent while it is down wait in the broker's journal.
        for n in 1...300 {
            try await publisher.publish("demo.tick", payload: Array(#"{"n": \#(n)}"#.utf8))
            if n == 100 || n == 200 {
                deployment.bus.harness.signal(orchestrator, SIGKILL)
                #expect(await deployment.bus.harness.waitForExit(orchestrator))
                orchestrator = try await deployment.startOrchestrator(waitUntilServing: false)
            }
        }
        let all = try await eventually(timeout: .seconds(120)) { () async throws -> [Int]? in
            let seen = try await started(deployment).filter { $0 > 0 }
            return Set(seen).count == 300 ? seen : nil
        }
        let counts = Dictionary(grouping: all ?? [], by: { $0 }).mapValues(\.count)
        #expect(Set(counts.keys) == Set(1...300), "missing: \(Set(1...300).subtracting(counts.keys).sorted().prefix(20))")
        #expect(counts.values.allSatisfy { $0 == 1 }, "started twice: \(counts.filter { $0.value > 1 }.keys.sorted())")
        await publisher.close()
    }
}

/// Fan-out with real processes: kill -9 of the orchestrator while a step is fanned out loses
/// no element and runs none twice; the output keeps the elements' order.
@Suite(.serialized) struct ForEachIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: fan
        inputs: {items: {type: array}}
        steps:
          - id: each
            capability: echo.sleep
            for_each: "${input.items}"
            as: thing
            max_parallel: 2
            params: {ms: 400, thing: "${thing}"}
    """

    @Test func killingTheOrchestratorMidFanOutLosesAndRepeatsNoElement() async throws {
        let deployment = try await Deployment(workflows: Self.workflows)
        defer { deployment.stop() }
        try deployment.startAgent("echo")
        let orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        let items = (0..<8).map { JSONValue.string("t\($0)") }
        let run = try await deployment.start("fan", input: .object(["items": .array(items)]))
        _ = try await eventually(timeout: .seconds(30)) {
            try deployment.entries().filter { $0.run == run.id && $0.event == "succeeded" }.count >= 3 ? true : nil
        }
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        try await deployment.startOrchestrator()
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        let output = try #require(done.steps.first { $0.stepID == "each" }?.output)
        guard case .array(let results) = output else { Issue.record("not a list: \(output)"); return }
        #expect(results.count == 8, "one result per element: \(output)")
        for index in 0..<8 {
            let input = done.attempts.last { $0.stepID.rawValue == "each[\(index)]" }?.input
            #expect(input?.value(at: ["thing"]) == .string("t\(index)"), "instance \(index) worked on element \(index)")
        }
        var successes: [String: Int] = [:]
        for entry in try deployment.entries() where entry.run == run.id && entry.event == "succeeded" {
            successes[entry.step?.rawValue ?? "?", default: 0] += 1
        }
        #expect(successes.count == 8 && successes.values.allSatisfy { $0 == 1 }, "each element ran exactly once: \(successes)")
        let shown = try await deployment.bus.harness.run(["workflow", "show", run.id.rawValue, "--config", deployment.configFile.path])
        #expect(shown.output.contains("each[7]"), "\(shown.output)")
    }
}
