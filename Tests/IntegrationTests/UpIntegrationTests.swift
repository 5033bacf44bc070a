import ColonyAccess
import ColonyAgent
import ColonyOrchestrator
import ColonyStore
import ColonyTestSupport
import ColonyWire
import Foundation
import Testing

/// `colony up` as an operator runs it: real broker, real supervised agent processes.
@Suite(.serialized) struct UpIntegrationTests {
    struct Operands: Codable, Sendable { var a: Double; var b: Double }
    struct Sum: Codable, Sendable { var result: Double }
    struct Sleep: Codable, Sendable { var ms: Int }
    struct Supervised: Codable, Sendable {
        struct Replica: Codable, Sendable { var name: String; var replica: Int; var pid: Int32?; var state: String; var restarts: Int }
        var agents: [Replica]
    }

    /// A `colony up` with its own configuration files in a temporary directory.
    final class Up {
        let harness: ProcessHarness
        let endpoints: BrokerEndpoints
        let client: ColonyClient
        let agentsFile: URL
        let configFile: URL

        /// `endpoints` default to private ipc ones; given (port 0, say), `client` speaks to them as given.
        init(agents: String, workflows: String = "workflows: []", security: String? = nil, http: String = "{endpoint: 127.0.0.1:0}",
             endpoints given: BrokerEndpoints? = nil) async throws {
            harness = try await ProcessHarness()
            endpoints = given ?? harness.privateEndpoints()
            client = ColonyClient(endpoints: endpoints)
            configFile = harness.directory.appendingPathComponent("colony.yaml")
            agentsFile = harness.directory.appendingPathComponent("agents.yaml")
            try """
            broker:
              endpoint: \(endpoints.requests)
              publish_endpoint: \(endpoints.publish)
              subscribe_endpoint: \(endpoints.subscribe)
              heartbeat_interval: 100ms
              heartbeat_liveness: 20         # 2 s of silence: a loaded machine must not drop live agents
              request_expiry: 10s
            security: {\(security ?? "mode: none, keys: \(harness.directory.appendingPathComponent("keys").path)")}
            http: \(http)
            orchestrator:
              database: \(harness.directory.appendingPathComponent("colony.sqlite").path)
              workflows: [\(harness.directory.appendingPathComponent("workflows.yaml").path)]
              shutdown_grace: 20s
            """.write(to: configFile, atomically: true, encoding: .utf8)
            try workflows.write(to: harness.directory.appendingPathComponent("workflows.yaml"), atomically: true, encoding: .utf8)
            try agents.write(to: agentsFile, atomically: true, encoding: .utf8)
        }

        @discardableResult
        func start() throws -> Process {
            // Debug: the shutdown-order test reads the orchestrator's own steps from the log.
            try harness.colony(["up", "--config", configFile.path, "--agents", agentsFile.path,
                                "--run-directory", harness.directory.appendingPathComponent("run").path, "--log-level", "debug"], name: "up")
        }

        func supervised() async throws -> [Supervised.Replica] {
            try await client.request("colony.supervisor.status", Empty(), as: Supervised.self, timeout: .seconds(10)).agents
        }

        func stop() { harness.stopAll() }
    }

    static let mathTwice = """
    agents:
      - name: math
        run: math
        replicas: 2
        restart: always
        backoff: {initial: 100ms, max: 1s}
    """

    @Test func aKilledAgentIsRestartedWhileItsReplicaServesAndNoRequestIsLost() async throws {
        let up = try await Up(agents: """
        agents:
          - name: echo
            run: echo
            replicas: 2
            concurrency: 16
            restart: always
            backoff: {initial: 100ms, max: 1s}
        """)
        defer { up.stop() }
        try up.start()
        #expect(try await waitForAgents(up.client, capability: "echo.sleep", count: 2), "\(up.harness.log(of: "up"))")
        let victim = try #require(try await up.supervised().first { $0.replica == 1 }?.pid)
        let client = up.client
        // 16 slow requests (10 s each): the broker gives each replica 8, so the victim dies holding
        // work (10 s between seeing both busy and the kill, on however loaded a machine), and the
        // survivor has room to take the victim's 8 at once (none waits out the 10 s request expiry).
        let load = Task {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await client.request("echo.sleep", Sleep(ms: 10_000 + index), as: Sleep.self, timeout: .seconds(120)).ms == 10_000 + index
                    }
                }
                var correct = 0
                for try await ok in group where ok { correct += 1 }
                return correct
            }
        }
        #expect(try await eventually(timeout: .seconds(60)) { try await client.directory(timeout: .generous).agents.filter { $0.busy > 0 }.count == 2 ? true : nil } == true)
        kill(victim, SIGKILL)
        #expect(try await load.value == 16, "every request answered correctly")
        #expect(try await client.statistics(timeout: .generous).requestsRedispatched > 0, "the victim held requests when it died")
        let restarted = try await eventually {
            try await up.supervised().first { $0.replica == 1 && $0.restarts == 1 && $0.state == "running" && $0.pid != victim }
        }
        #expect(restarted != nil, "\(up.harness.log(of: "up"))")
        #expect(try await waitForAgents(up.client, capability: "echo.sleep", count: 2))
        #expect(try await client.request("echo.sleep", Sleep(ms: 1), as: Sleep.self).ms == 1)
    }

    @Test func aCrashLoopingAgentStopsAfterTheLimitAndIsShownFailed() async throws {
        let up = try await Up(agents: """
        agents:
          - name: crasher
            command: [sh, -c, "exit 3"]
            restart: always
            backoff: {initial: 50ms, max: 100ms}
            crash_loop: {restarts: 3, window: 30s}
        """)
        defer { up.stop() }
        try up.start()
        let failed = try await eventually {
            try await up.supervised().first { $0.name == "crasher" && $0.state == "failed" }
        }
        #expect(failed?.restarts == 3, "\(up.harness.log(of: "up"))")
        let list = try await up.harness.run(["agent", "list"] + up.endpoints.flags)
        #expect(list.output.contains("failed") && list.output.contains("exited with code 3"), "\(list.output)")
    }

    @Test func agentOutputGoesToLogsAndOptionallyToTheConsole() async throws {
        let up = try await Up(agents: """
        agents:
          - name: talker
            command: [sh, -c, "echo hello from $COLONY_AGENT $COLONY_REPLICA; exec sleep 60"]
            output: echo
          - name: quiet
            command: [sh, -c, "echo only in the log; seq 1 20000 | sed 's/^/line /'; exec sleep 60"]
        """)
        defer { up.stop() }
        try up.start()
        let echoed = try await eventually { up.harness.log(of: "up").contains("talker[1] | hello from talker 1") ? true : nil }
        #expect(echoed == true, "\(up.harness.log(of: "up"))")
        let logs = try await eventually {
            let result = try await up.harness.run(["agent", "logs", "quiet"] + up.endpoints.flags)
            return result.output.contains("only in the log") && result.output.contains("line 20000\n") ? result : nil
        }
        #expect(logs?.status == 0)
        // The last lines, read back from the end across several 64 KiB chunks; a negative count is a usage error.
        let tail = try await up.harness.run(["agent", "logs", "quiet", "--tail", "3"] + up.endpoints.flags)
        #expect(tail.status == 0 && tail.output == "line 19998\nline 19999\nline 20000\n", "\(tail.output.suffix(200))")
        let negative = try await up.harness.run(["agent", "logs", "quiet", "--tail", "-1"] + up.endpoints.flags)
        #expect(negative.status == 2 && negative.output.contains("--tail"), "\(negative.output)")
        #expect(!up.harness.log(of: "up").contains("quiet[1] | "), "only agents with output: echo are echoed")
        // A typo in an agent's name is a usage error naming the agent meant, whatever the command.
        for command in [["agent", "logs", "quite"], ["agent", "spawn", "quite"], ["agent", "restart", "quite"]] {
            let typo = try await up.harness.run(command + up.endpoints.flags)
            #expect(typo.status == 2 && typo.output.contains("did you mean 'quiet'?") && !typo.output.contains("supervisor_refused"),
                    "\(command): \(typo.output)")
        }
    }

    /// A log past its bound is moved aside and a new one begins; `--tail` asks for more lines than
    /// the new one holds and gets the last ones of the file moved aside first.
    @Test func aTailLongerThanTheCurrentLogReachesIntoTheOneMovedAside() async throws {
        let up = try await Up(agents: """
        agents:
          - name: talker
            command: [sh, -c, "seq 1 300000; exec sleep 60"]
            log_max_bytes: 1048576
        """)
        defer { up.stop() }
        try up.start()
        let log = up.harness.directory.appendingPathComponent("run/logs/talker-1.log").path
        let current = try await eventually {
            (try? String(contentsOfFile: log, encoding: .utf8)).flatMap { $0.hasSuffix("\n300000\n") ? $0 : nil }
        }
        let now = try #require(current, "\(up.harness.log(of: "up"))")
        let before = try String(contentsOfFile: log + ".1", encoding: .utf8)
        let lines = now.split(separator: "\n").count
        let expected = before.split(separator: "\n").suffix(2).map { $0 + "\n" }.joined() + now
        let tail = try await up.harness.run(["agent", "logs", "talker", "--tail", "\(lines + 2)"] + up.endpoints.flags)
        #expect(tail.status == 0 && tail.output == expected, "\(tail.output.prefix(200))")
    }

    /// On port 0 the broker binds ports the system chooses, and every part of the node (the
    /// supervisor's interface, the orchestrator, the agents) is told those, not port 0.
    @Test func onPortZeroEveryPartReachesTheBrokerOnThePortsItBound() async throws {
        let up = try await Up(agents: "agents:\n  - name: echo\n    run: echo\n", endpoints: BrokerEndpoints(requests: "tcp://127.0.0.1:0"))
        defer { up.stop() }
        try up.start()
        let banner = try await eventually {
            up.harness.log(of: "up").split(separator: "\n").first { $0.hasPrefix("  broker ") }
                .flatMap { $0.split(separator: " ").last.map(String.init) }
        }
        let bound = try #require(banner, "\(up.harness.log(of: "up"))")
        #expect(!bound.hasSuffix(":0"))
        let client = ColonyClient(endpoints: BrokerEndpoints(requests: bound))
        #expect(try await waitForAgents(client, capability: "echo.sleep", count: 1), "\(up.harness.log(of: "up"))")
        #expect(try await client.request("echo.sleep", Sleep(ms: 1), as: Sleep.self).ms == 1)
        let supervised = try await client.request("colony.supervisor.status", Empty(), as: Supervised.self, timeout: .seconds(10)).agents
        #expect(supervised.map(\.name) == ["echo"])
        #expect(!up.harness.log(of: "up").contains("unreachable"), "\(up.harness.log(of: "up"))")
    }

    @Test func sigtermStopsEverythingAndExitsZero() async throws {
        let up = try await Up(agents: Self.mathTwice)
        defer { up.stop() }
        let process = try up.start()
        #expect(try await waitForAgents(up.client, capability: "math.add", count: 2))
        let pids = try await up.supervised().compactMap(\.pid)
        #expect(pids.count == 2)
        kill(process.processIdentifier, SIGTERM)
        #expect(await up.harness.waitForExit(process))
        #expect(ProcessHarness.exitCode(ofEnded: process) == 0, "\(up.harness.log(of: "up"))")
        #expect(pids.allSatisfy { !isAlive($0) })
    }

    @Test func sigtermStopsTicksThenLetsAttemptsFinishThenAgentsThenTheBroker() async throws {
        let up = try await Up(agents: """
        agents:
          - name: echo
            run: echo
            concurrency: 4
        """, workflows: """
        workflows:
          - name: slow
            steps: [{id: nap, capability: echo.sleep, params: {ms: 2500}}]
          - name: ticking
            schedule: {every: 1s}
            steps: [{id: beat, capability: echo}]
        """)
        defer { up.stop() }
        let process = try up.start()
        #expect(try await waitForAgents(up.client, capability: "echo.sleep", count: 1), "\(up.harness.log(of: "up"))")
        let agentPIDs = try await up.supervised().compactMap(\.pid)
        let run = try await up.client.request(OrchestratorAPI.run, OrchestratorAPI.RunRequest(workflow: "slow", input: nil, priority: nil),
                                              as: RunRecord.self, timeout: .generous)
        // SIGTERM once the attempt is with the agent (it takes 2.5 s there).
        let dispatched = try await eventually(timeout: .seconds(20)) {
            let detail = try await up.client.request(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: run.id),
                                                     as: OrchestratorAPI.RunDetail.self, timeout: .generous)
            return detail.steps.first { $0.stepID == "nap" }?.status == .dispatched ? true : nil
        }
        #expect(dispatched == true)
        // …and once the schedule is firing.
        let store = try SQLiteWorkflowStore(path: up.harness.directory.appendingPathComponent("colony.sqlite").path)
        let firing = try await eventually(timeout: .seconds(20)) {
            try await store.ticks(schedule: "ticking", outcome: .started, limit: 10).isEmpty ? nil : true
        }
        #expect(firing == true)
        kill(process.processIdentifier, SIGTERM)
        #expect(await up.harness.waitForExit(process, timeout: .seconds(30)))
        let log = up.harness.log(of: "up")
        #expect(ProcessHarness.exitCode(ofEnded: process) == 0, "\(log)")

        // The order: the orchestrator (its attempt finished), the agents, the broker last.
        func position(_ line: String) -> String.Index? { log.range(of: line)?.lowerBound }
        let orchestrator = try #require(position("orchestrator stopped"), "\(log)")
        let agentStopped = try #require(position("echo[1] stopped"), "\(log)")
        let agents = try #require(position("agents stopped"), "\(log)")
        let broker = try #require(position("broker stopped"), "\(log)")
        #expect(orchestrator < agentStopped && agentStopped < agents && agents < broker, "\(log)")
        #expect(agentPIDs.allSatisfy { !isAlive($0) }, "no agent outlives colony up")

        let snapshot = try await store.snapshot(run: run.id)
        let attempt = try #require(snapshot.attempts.first { $0.stepID == "nap" })
        #expect(attempt.status == .succeeded, "the attempt in flight finished within the grace period: \(attempt)")
        // Ticks stopped before the drain (a 1 s schedule would fire during its 2.5 s otherwise),
        // and no tick was decided after that.
        let schedulerStopped = try #require(position("scheduler stopped"), "\(log)")
        let drained = try #require(position("engine drained"), "\(log)")
        #expect(schedulerStopped < drained, "\(log)")
        let afterStop = log[schedulerStopped...]
        #expect(!afterStop.contains("tick started") && !afterStop.contains("tick skipped"), "\(log)")
    }

    @Test(.enabled(if: pythonWithTheSDK() != nil, "no .venv with the Python SDK: run scripts/setup"))
    func aSecuredColonyServesItsAgentsAndOperatorAndNobodyElse() async throws {
        let python = try #require(pythonWithTheSDK())
        let keysPath = FileManager.default.temporaryDirectory.appendingPathComponent("colony-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: keysPath) }
        let up = try await Up(agents: """
        agents:
          - name: math
            run: math
          - name: greeter
            command: [\(python.path), \(pythonAgent("greeter.py").path)]
        """, security: "mode: curve, keys: \(keysPath)")
        defer { up.stop() }
        try up.start()
        // No manual step: the keys appear on first start; the operator's is what the CLI uses.
        let keys = KeyDirectory(path: keysPath)
        // The broker's pair is written first, the operator's next: wait for both.
        for _ in 0..<3000 where (try? keys.operatorKeys()) == nil { try await Task.sleep(for: .milliseconds(10)) }
        let operatorKeys = try keys.operatorKeys()
        let operatorClient = ColonyClient(endpoints: up.endpoints, credentials: Credentials(
            serverKey: try keys.brokerKeys().publicKey, publicKey: operatorKeys.publicKey, secretKey: operatorKeys.secretKey))
        #expect(try await waitForAgents(operatorClient, capability: "math.add"), "\(up.harness.log(of: "up"))")
        #expect(try await waitForAgents(operatorClient, capability: "py.greet"), "the Python agent authenticates with the key colony up gave it")
        let sum = try await up.harness.run(["request", "math.add", #"{"a":2,"b":3}"#, "--config", up.configFile.path])
        #expect(sum.status == 0 && sum.output.contains("5"), "\(sum.output)")
        let greeting = try await up.harness.run(["request", "py.greet", #"{"name":"Ada"}"#, "--config", up.configFile.path])
        #expect(greeting.output.contains("Hello, Ada!"), "\(greeting.output)")
        let health = try await up.harness.run(["system", "health", "--config", up.configFile.path])
        #expect(health.output.contains("security  curve"), "\(health.output)")
        // A peer without a key gets no answer at all: the broker never sees its request.
        let stranger = ColonyClient(endpoints: up.endpoints, credentials: nil, connectTimeout: .milliseconds(300))
        await #expect(throws: RequestError.self) { _ = try await stranger.statistics(timeout: .milliseconds(500)) }
        #expect(try await operatorClient.statistics(timeout: .generous).requestsReceived > 0)
    }

    @Test func sigkillLeavesNoAgentBehind() async throws {
        let up = try await Up(agents: Self.mathTwice)
        defer { up.stop() }
        let process = try up.start()
        #expect(try await waitForAgents(up.client, capability: "math.add", count: 2))
        let pids = try await up.supervised().compactMap(\.pid)
        kill(process.processIdentifier, SIGKILL)
        let gone = try await eventually(timeout: .seconds(5)) { pids.allSatisfy { !isAlive($0) } ? true : nil }
        #expect(gone == true, "agents \(pids) outlived a killed colony up")
    }

    /// kill -9 of `colony up` (broker and orchestrator at once) while a burst of events is on
    /// its way to runs: after a restart every event the broker journaled has exactly one run.
    @Test func aKilledColonyUpStartsEachJournaledEventsRunOnceAfterARestart() async throws {
        let up = try await Up(agents: "agents:\n  - {name: echo, run: echo, concurrency: 8}\n", workflows: TriggerJournalIntegrationTests.workflows)
        defer { up.stop() }
        let process = try up.start()
        #expect(try await waitForAgents(up.client, capability: "echo"), "\(up.harness.log(of: "up"))")
        func started() async throws -> [Int] { try await TriggerJournalIntegrationTests.started(up.client) }
        let publisher = Publisher(endpoints: up.endpoints, credentials: nil)
        #expect(try await publisher.waitUntilConnected(timeout: .seconds(10)))
        _ = try await eventually(timeout: .seconds(30)) { () async throws -> Bool? in
            try await publisher.publish("demo.tick", payload: Array(#"{"n": 0}"#.utf8))
            return try await started().contains(0) ? true : nil
        }
        for n in 1...300 { try await publisher.publish("demo.tick", payload: Array(#"{"n": \#(n)}"#.utf8)) }
        kill(process.processIdentifier, SIGKILL)
        #expect(await up.harness.waitForExit(process))
        await publisher.close()
        try up.start()
        #expect(try await waitForAgents(up.client, capability: OrchestratorAPI.run), "\(up.harness.log(of: "up"))")
        // What the broker had taken before the kill is in its journal (beside the database).
        var journaled: [Int] = []
        var cursor: UInt64 = 0
        var journal: String?
        while true {
            let page = try await up.client.readJournal(JournalRead(journal: journal, after: cursor, topics: ["demo.tick"], limit: 1_000))
            journal = page.batch.journal
            journaled += page.events.compactMap { (try? JSONDecoder().decode([String: Int].self, from: Data($0.event.payload)))?["n"] }.filter { $0 > 0 }
            guard page.batch.through > cursor else { break }
            cursor = page.batch.through
        }
        #expect(!journaled.isEmpty && journaled == Array(1...journaled.count), "the journal holds a prefix of the burst: \(journaled.prefix(10))…")
        let runs = try await eventually(timeout: .seconds(120)) { () async throws -> [Int]? in
            let seen = try await started().filter { $0 > 0 }
            return Set(seen) == Set(journaled) ? seen : nil
        }
        #expect(runs?.count == journaled.count, "one run per journaled event: \(runs?.count ?? 0) runs for \(journaled.count) events")
    }

    @Test func aBadAgentsFileStartsNothingAndSaysWhy() async throws {
        let up = try await Up(agents: "agents:\n  - name: math\n    run: math\n    replica: 2\n")
        defer { up.stop() }
        let result = try await up.harness.run(["up", "--config", up.configFile.path, "--agents", up.agentsFile.path])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("agents.yaml:4"), "\(result.output)")
        #expect(result.output.contains("did you mean 'replicas'?"), "\(result.output)")
        let probe = ColonyClient(endpoints: up.endpoints, connectTimeout: .milliseconds(300))
        await #expect(throws: RequestError.self) { _ = try await probe.statistics(timeout: .milliseconds(500)) }
    }
}

/// Whether `pid` is a live process (zombies count as dead).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
