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

/// Leader-follower coordination with real agent processes: one leader per term, failover when
/// the leader dies or stalls, and stale terms refused (fencing).
@Suite(.serialized) struct CoordinationIntegrationTests {
    typealias Deployment = WorkflowIntegrationTests.Deployment

    static let workflows = """
    workflows:
      - name: leader_sum
        steps:
          - id: add
            capability: math.add
            params: {a: 20, b: 22}
            coordination: {mode: leader_follower, group: math.add}
            timeout: 1500ms
            retry: {max_attempts: 10, initial_interval: 300ms}
    """

    func leadership(_ deployment: Deployment) async throws -> Leadership? {
        try await deployment.bus.client.request(CoordinationAPI.status, CoordinationAPI.GroupRequest(group: "math.add"),
                                                as: [Leadership].self, timeout: .generous).first
    }

    /// The pid in an instance id (NAME-HOST-PID).
    func pid(of instance: InstanceID?) -> Int32? {
        instance.flatMap { $0.rawValue.split(separator: "-").last.flatMap { Int32($0) } }
    }

    /// Runs leader_sum and returns the pid of the process that handled its step.
    func runOnce(_ deployment: Deployment) async throws -> Int32? {
        let run = try await deployment.start("leader_sum")
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed && done.run.output?.value(at: ["add", "result"]) == .number(42))
        return try deployment.entries().last { $0.run == run.id && $0.event == "succeeded" }?.pid
    }

    @Test func theLeaderServesAndIsReplacedUnderAHigherTermWhenItDiesOrStalls() async throws {
        let deployment = try await Deployment(workflows: Self.workflows, orchestratorSettings: "leader_lease: 900ms")
        defer { deployment.stop() }
        var agents: [Process] = []
        for _ in 0..<3 { agents.append(try deployment.startAgent("math")) }
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.add", count: 3))

        // The leader serves the step.
        let first = try #require(try await eventually { try await leadership(deployment).flatMap { $0.leader == nil ? nil : $0 } })
        #expect(try await runOnce(deployment) == pid(of: first.leader))

        // Killed: a new leader under a higher term serves the next run.
        let firstProcess = try #require(agents.first { $0.processIdentifier == pid(of: first.leader) })
        let killedAt = Date()
        deployment.bus.harness.signal(firstProcess, SIGKILL)
        let second = try #require(try await eventually(timeout: .seconds(30)) {
            try await leadership(deployment).flatMap { $0.leader != first.leader && $0.leader != nil ? $0 : nil }
        })
        let killFailover = Date().timeIntervalSince(killedAt)
        #expect(second.term > first.term)
        #expect(try await runOnce(deployment) == pid(of: second.leader))

        // Stalled past its lease (SIGSTOP): replaced; woken up, it refuses its old term.
        let secondProcess = try #require(agents.first { $0.processIdentifier == pid(of: second.leader) })
        let stoppedAt = Date()
        deployment.bus.harness.signal(secondProcess, SIGSTOP)
        let third = try #require(try await eventually(timeout: .seconds(30)) {
            try await leadership(deployment).flatMap { $0.leader != second.leader && $0.leader != nil ? $0 : nil }
        })
        let stopFailover = Date().timeIntervalSince(stoppedAt)
        deployment.bus.harness.signal(secondProcess, SIGCONT)
        #expect(third.term > second.term)
        let refused = try await eventually(timeout: .seconds(30)) { () -> Bool? in
            do {
                _ = try await deployment.bus.client.request("math.add", body: [Array(#"{"a":1,"b":1}"#.utf8)], timeout: .seconds(3),
                                                            instance: second.leader?.rawValue, leadership: second)
                return nil
            } catch {
                if case .failed(let wire) = error as? RequestError, wire.code == .staleTerm { return true }
                return nil
            }
        }
        #expect(refused == true, "the old leader refuses requests under its old term")
        await #expect {
            _ = try await deployment.bus.client.request("math.add", body: [Array(#"{"a":1,"b":1}"#.utf8)], timeout: .seconds(3),
                                                        instance: third.leader?.rawValue, leadership: second)
        } throws: { error in
            guard case .failed(let wire) = error as? RequestError else { return false }
            return wire.code == .staleTerm
        }
        #expect(try await runOnce(deployment) == pid(of: third.leader))

        // One leader per term, ever: the election log never names two leaders for a term.
        let log = try String(contentsOf: deployment.bus.harness.processes.first { $0.name == "orchestrator" }!.log, encoding: .utf8)
        let elections = log.split(separator: "\n").filter { $0.contains("leader elected") }
        let terms = elections.compactMap { line in line.split(separator: " ").first { $0.hasPrefix("term=") } }
        #expect(Set(terms).count == terms.count && terms.count >= 3, "\(elections)")
        // For scripts/bench-failover: how long until the new leader was announced (observed by polling).
        if let path = ProcessInfo.processInfo.environment["COLONY_FAILOVER_REPORT"] {
            let line = String(format: "kill %.0f stop %.0f\n", killFailover * 1000, stopFailover * 1000)
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(line.utf8))
                try handle.close()
            } else {
                try line.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
    }

    /// The leader is stopped (SIGSTOP) with the step's request on its way; a new leader is
    /// elected under term + 1 and serves the retry; woken, the old leader reads the request
    /// it was sent under the old term and must not start it, whether or not it has heard of
    /// the new term yet (its lease has lapsed by its own clock).
    @Test func aStalledLeaderDoesNotActOnWhatWaitedForItAfterWaking() async throws {
        let deployment = try await Deployment(workflows: Self.workflows, orchestratorSettings: "leader_lease: 900ms")
        defer { deployment.stop() }
        var agents: [Process] = []
        for _ in 0..<3 { agents.append(try deployment.startAgent("math")) }
        try await deployment.startOrchestrator()
        let client = deployment.bus.client
        #expect(try await waitForAgents(client, capability: "math.add", count: 3))
        let first = try #require(try await eventually { try await leadership(deployment).flatMap { $0.leader == nil ? nil : $0 } })
        let stalled = try #require(agents.first { $0.processIdentifier == pid(of: first.leader) })
        defer { deployment.bus.harness.signal(stalled, SIGCONT) }
        deployment.bus.harness.signal(stalled, SIGSTOP)
        let run = try await deployment.start("leader_sum")
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        let second = try #require(try await leadership(deployment))
        #expect(second.term > first.term && second.leader != first.leader)
        deployment.bus.harness.signal(stalled, SIGCONT)
        // Woken, it either reads what waited for it and refuses it, or first notices the broker
        // went silent and drops its connection, request unread.
        let log = try #require(deployment.bus.harness.processes.first { $0.process === stalled }?.log)
        let handled = try await eventually {
            (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").first {
                ($0.contains("superseded leadership") && $0.contains(run.id.rawValue)) || $0.contains("reconnecting to broker")
            }
        }
        #expect(handled != nil, "the old leader woke up and dealt with what waited for it")
        let starts = try deployment.entries().filter { $0.run == run.id && $0.event == "started" }
        #expect(starts.allSatisfy { $0.pid != stalled.processIdentifier }, "no handler started under the old term: \(starts)")
        #expect(try deployment.entries().filter { $0.run == run.id && $0.event == "succeeded" }.count == 1)
    }

    static let consensusWorkflows = """
    workflows:
      - name: approve
        inputs: {amount: number}
        steps:
          - id: decide
            capability: approve.vote
            params: {amount: "${input.amount}"}
            coordination: {mode: consensus, group: approve.vote, rule: majority, electorate: 5}
            timeout: 2s
          - id: after
            capability: echo.sleep
            depends_on: [decide]
            params: {ms: 1500}
      - name: approve_live
        inputs: {amount: number}
        steps:
          - id: decide
            capability: approve.vote
            params: {amount: "${input.amount}"}
            coordination: {mode: consensus, group: approve.vote, rule: majority, electorate: live}
            timeout: 2s
      - name: approve_undeclared
        inputs: {amount: number}
        steps:
          - id: decide
            capability: approve.vote
            params: {amount: "${input.amount}"}
            coordination: {mode: consensus, group: approve.vote, rule: majority}
            timeout: 2s
    """

    /// Voters the broker has already dropped (killed) still hold their seats in a declared
    /// electorate: 2 live of 5 declared cannot decide. Only `electorate: live` counts the
    /// living alone, and a consensus with no declaration says so instead of guessing.
    @Test func deadVotersKeepTheirSeatsInADeclaredElectorate() async throws {
        let deployment = try await Deployment(workflows: Self.consensusWorkflows)
        defer { deployment.stop() }
        var voters: [Process] = []
        for _ in 0..<5 { voters.append(try deployment.startAgent("voter")) }
        _ = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "approve.vote", count: 5))
        for voter in voters.prefix(3) { deployment.bus.harness.signal(voter, SIGKILL) }
        let dropped = try await eventually {
            try await deployment.bus.client.directory(timeout: .generous).agents.filter { $0.capabilities.contains("approve.vote") }.count == 2 ? true : nil
        }
        #expect(dropped == true, "the broker dropped the killed voters")
        func decide(_ workflow: String) async throws -> OrchestratorAPI.RunDetail {
            let run = try await deployment.start(workflow, input: .object(["amount": .number(50)]))
            return try #require(try await deployment.finished(run.id))
        }
        let declared = try await decide("approve")
        #expect(declared.run.status == .failed && declared.run.errorCode == "no_quorum", "\(declared.run)")
        let tally = declared.steps.first { $0.stepID == "decide" }?.errorMessage
        #expect(tally?.contains("\"electorate\":5") == true, "\(String(describing: tally))")
        let live = try await decide("approve_live")
        #expect(live.run.status == .completed, "\(live.run)")
        #expect(live.steps.first { $0.stepID == "decide" }?.output?.value(at: ["tally", "electorate"]) == .number(2))
        let undeclared = try await decide("approve_undeclared")
        #expect(undeclared.run.errorCode == "no_electorate", "\(undeclared.run)")
    }

    @Test func aMajorityDecidesWithTwoOfFiveSilentThreeSilentIsNoQuorumAndDecisionsSurviveRestarts() async throws {
        // Stopped voters stay members for the broker's liveness (10 s here), like hung processes.
        let deployment = try await Deployment(workflows: Self.consensusWorkflows, brokerLiveness: 100)
        defer { deployment.stop() }
        var voters: [Process] = []
        for _ in 0..<5 { voters.append(try deployment.startAgent("voter")) }
        defer { for voter in voters { deployment.bus.harness.signal(voter, SIGCONT) } }
        try deployment.startAgent("echo")
        var orchestrator = try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "approve.vote", count: 5))

        func decide(_ amount: Double) async throws -> OrchestratorAPI.RunDetail {
            let run = try await deployment.start("approve", input: .object(["amount": .number(amount)]))
            return try #require(try await deployment.finished(run.id))
        }
        func decision(_ detail: OrchestratorAPI.RunDetail) -> JSONValue? {
            detail.steps.first { $0.stepID == "decide" }?.output?.value(at: ["decision"])
        }

        let approved = try await decide(50)
        #expect(decision(approved) == .string("approved"))
        let rejected = try await decide(500)
        #expect(decision(rejected) == .string("rejected"))

        for voter in voters.prefix(2) { deployment.bus.harness.signal(voter, SIGSTOP) }
        let threeOfFive = try await decide(50)
        #expect(decision(threeOfFive) == .string("approved"), "3 of an electorate of 5 is a majority")
        #expect(threeOfFive.steps.first { $0.stepID == "decide" }?.output?.value(at: ["tally", "electorate"]) == .number(5))

        deployment.bus.harness.signal(voters[2], SIGSTOP)
        let twoOfFive = try await decide(50)
        #expect(twoOfFive.run.status == .failed && twoOfFive.run.errorCode == "no_quorum", "\(twoOfFive.run)")
        for voter in voters.prefix(3) { deployment.bus.harness.signal(voter, SIGCONT) }
        // Resumed voters find the broker silent and reconnect: votes sent to their old connections
        // meanwhile are lost. Wait until a round sees all of them again.
        var resumed = false
        for _ in 0..<10 where !resumed { resumed = decision(try await decide(50)) == .string("approved") }
        #expect(resumed, "the resumed voters vote again")

        // Decided, then the orchestrator dies: after a restart the same decision stands, even
        // though the voters would now vote otherwise (3 of them are stopped again).
        let run = try await deployment.start("approve", input: .object(["amount": .number(50)]))
        let store = try SQLiteWorkflowStore(path: deployment.database.path)
        let round = try #require(try await eventually { try await store.round("\(run.id)/decide/1").flatMap { $0.decision == nil ? nil : $0 } })
        deployment.bus.harness.signal(orchestrator, SIGKILL)
        #expect(await deployment.bus.harness.waitForExit(orchestrator))
        for voter in voters.prefix(3) { deployment.bus.harness.signal(voter, SIGSTOP) }
        orchestrator = try await deployment.startOrchestrator()
        let done = try #require(try await deployment.finished(run.id))
        #expect(done.run.status == .completed)
        #expect(decision(done) == .string(round.decision!))
        #expect(try await store.round(round.id)?.decision == round.decision, "one outcome per round")
        #expect(try await store.round(round.id)?.announcedAt != nil)
    }

    static let auctionWorkflows = """
    workflows:
      - name: render_job
        inputs: {ms: {type: number, default: 300}}
        steps:
          - id: render
            capability: render
            params: {ms: "${input.ms}"}
            coordination: {mode: auction, group: render, bid_deadline: 800ms, rounds: 3}
            timeout: 20s
    """

    @Test func theCheapestBidderWinsAKilledWinnerIsReplacedAndNoBidsIsAnOutcome() async throws {
        let deployment = try await Deployment(workflows: Self.auctionWorkflows)
        defer { deployment.stop() }
        var bidders: [Double: Process] = [:]
        for cost in [3.0, 5.0, 8.0] { bidders[cost] = try deployment.startAgent("bidder", environment: ["BIDDER_COST": "\(cost)"]) }
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "render.bid", count: 3))

        func output(_ detail: OrchestratorAPI.RunDetail) -> JSONValue? { detail.steps.first { $0.stepID == "render" }?.output }

        // Bidders hear awards through a subscription, which connects a moment after they register.
        try await Task.sleep(for: .milliseconds(500))
        let firstRun = try await deployment.start("render_job")
        let first = try #require(try await deployment.finished(firstRun.id))
        #expect(first.run.status == .completed)
        // Every bidder hears the award: the winner accepted, the others rejected.
        let told = try await eventually {
            let pids = Set(try deployment.entries().filter { $0.run == firstRun.id && $0.handler.contains("coordination.awarded") && $0.event == "succeeded" }.map(\.pid))
            return pids.count == 3 ? pids : nil
        }
        #expect(told?.count == 3)
        #expect(output(first)?.value(at: ["result", "cost"]) == .number(3), "the cheapest bid won")
        #expect(output(first)?.value(at: ["rounds", "0", "bids"]).map { if case .array(let bids) = $0 { bids.count } else { 0 } } == 3)

        // The winner is killed while it works: a second round without it awards the next best.
        let run = try await deployment.start("render_job", input: .object(["ms": .number(4000)]))
        _ = try await eventually(timeout: .seconds(30)) {
            try deployment.entries().contains { $0.run == run.id && $0.handler == "render" && $0.event == "started" } ? true : nil
        }
        deployment.bus.harness.signal(try #require(bidders[3]), SIGKILL)
        let second = try #require(try await deployment.finished(run.id, timeout: .seconds(90)))
        #expect(second.run.status == .completed, "\(second.run)")
        #expect(output(second)?.value(at: ["result", "cost"]) == .number(5), "re-awarded to the next best")
        #expect(output(second)?.value(at: ["rounds", "0", "task_failure"]) != nil)
        #expect(output(second)?.value(at: ["rounds", "1", "winner"]) != output(second)?.value(at: ["rounds", "0", "winner"]))

        // Nobody bids: NO_BIDS, clearly.
        for process in bidders.values { deployment.bus.harness.signal(process, SIGKILL) }
        try deployment.startAgent("bidder", environment: ["BIDDER_REFUSE": "1"])
        _ = try await eventually(timeout: .seconds(30)) {
            let members = try await deployment.bus.client.management(ManagementService.group, argument: "render.bid", timeout: .generous).decode(GroupMembers.self)
            return members.members.count == 1 ? true : nil
        }
        let none = try #require(try await deployment.finished(try await deployment.start("render_job").id))
        #expect(none.run.status == .failed && none.run.errorCode == "no_bids", "\(none.run)")
    }

    static let hierarchy = """
    workflows:
      - name: child_sum
        inputs: {a: number, b: number}
        steps: [{id: add, capability: math.add, params: {a: "${input.a}", b: "${input.b}"}}]
      - name: child_fails
        steps: [{id: divide, capability: math.div, params: {a: 1, b: 0}}]
      - name: child_slow
        steps: [{id: wait, capability: echo.sleep, params: {ms: 20000}}]
      - name: parent
        inputs: {which: {type: string, default: sum}}
        steps:
          - {id: sum, workflow: child_sum, params: {a: 40, b: 2}}
          - {id: report, capability: echo, depends_on: [sum], params: {total: "${steps.sum.output.add.result}"}}
      - name: parent_of_failure
        steps: [{id: child, workflow: child_fails}]
      - name: parent_of_slow
        steps: [{id: child, workflow: child_slow}]
      - name: sync
        steps:
          - {id: gather, capability: math.add, params: {a: 1, b: 1}, coordination: {mode: barrier, group: math.add, count: 2}, timeout: 3s}
    """

    @Test func childWorkflowsFeedTheirParentFailItAndAreCancelledWithIt() async throws {
        let deployment = try await Deployment(workflows: Self.hierarchy)
        defer { deployment.stop() }
        try deployment.startAgent("math")
        try deployment.startAgent("echo")
        try await deployment.startOrchestrator()
        #expect(try await waitForAgents(deployment.bus.client, capability: "echo.sleep"))
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.add"))

        let parent = try #require(try await deployment.finished(try await deployment.start("parent").id))
        #expect(parent.run.status == .completed)
        #expect(parent.run.output?.value(at: ["report", "total"]) == .number(42), "the child's output fed the next step")
        let child = try #require(parent.children.first)
        #expect(child.workflow == "child_sum" && child.status == .completed && child.parentStepID == "sum")

        let failing = try #require(try await deployment.finished(try await deployment.start("parent_of_failure").id))
        #expect(failing.run.status == .failed && failing.run.errorCode == "division_by_zero", "\(failing.run)")
        #expect(failing.children.first?.status == .failed)

        let slow = try await deployment.start("parent_of_slow")
        let running = try #require(try await eventually {
            try await deployment.show(slow.id).children.first.flatMap { $0.status == .running ? $0 : nil }
        })
        let cancel = try await deployment.bus.harness.run(["workflow", "cancel", slow.id.rawValue, "--config", deployment.configFile.path])
        #expect(cancel.status == 0, "\(cancel.output)")
        let childDone = try #require(try await deployment.finished(running.id))
        #expect(childDone.run.status == .cancelled, "cancelling the parent cancels the child")

        // A barrier: the step ends once 2 members of math.add have reported.
        try deployment.startAgent("math")
        #expect(try await waitForAgents(deployment.bus.client, capability: "math.add", count: 2))
        let sync = try #require(try await deployment.finished(try await deployment.start("sync").id))
        #expect(sync.run.status == .completed)
        let reported = sync.run.output?.value(at: ["gather", "reported"])
        #expect(reported.map { if case .array(let members) = $0 { members.count >= 2 } else { false } } == true, "\(String(describing: reported))")
    }
}
