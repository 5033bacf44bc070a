import ColonyAgent
import ColonyCore
import ColonyEngine
import ColonyOrchestrator
import ColonyPostgres
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging
import Testing

/// Orchestrators on two hosts over one PostgreSQL database, for real: network namespaces for the
/// database, the broker, the agents and each orchestrator. The active orchestrator is killed
/// (-9), then the new active one is cut off the network while runs and a schedule are in flight,
/// then its link comes back. Every time the other host takes over with the next term; the cut-off
/// one writes nothing more once it is superseded and goes back to standby; every run completes
/// with each step run once; every tick started at most one run.
@Suite(.serialized, .enabled(if: NetworkNamespaces.available && hasPostgresServer, "needs root, `ip netns` and PostgreSQL's server"))
struct MultiHostTests {
    static let workflows = """
    workflows:
      - name: chain
        steps:

    """ + (0..<8).map { index in
        "      - {id: s\(index), capability: echo.sleep, params: {ms: 400}\(index > 0 ? ", depends_on: [s\(index - 1)]" : "")}\n"
    }.joined() + """
      - name: beat
        schedule: {every: 1s}
        steps: [{id: beat, capability: echo}]
    """

    static var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The (term, log) of the host's active orchestrator so far, if it became active.
    func terms(in log: String) -> [Int] {
        log.split(separator: "\n").filter { $0.contains("active orchestrator") }.compactMap { line in
            line.range(of: "term=").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }
    }

    @Test func theOtherHostTakesOverFromAKilledAndFromAPartitionedOrchestratorAndNothingRunsTwice() async throws {
        let net = try NetworkNamespaces()
        defer { net.remove() }
        for host in ["db", "broker", "agents", "a", "b"] { try net.add(host) }
        let harness = try await ProcessHarness()
        defer { harness.stopAll() }
        let cluster = harness.directory.appendingPathComponent("pg").path
        let script = Self.root.appendingPathComponent("scripts/lib/postgres-cluster").path
        let started = try await harness.runTool(script, ["start", cluster, net.address("db"), "\(net.subnet).0/24", net.namespace("db")])
        defer { stopCluster(script, cluster) }
        #expect(started.status == 0, "\(started.output)")
        let database = started.output.trimmingCharacters(in: .whitespacesAndNewlines)

        let broker = net.address("broker")
        let endpoints = BrokerEndpoints(requests: "tcp://\(broker):5555", publish: "tcp://\(broker):5556", subscribe: "tcp://\(broker):5557")
        let configFile = harness.directory.appendingPathComponent("colony.yaml")
        let workflowsFile = harness.directory.appendingPathComponent("workflows.yaml")
        let journal = harness.directory.appendingPathComponent("journal.jsonl")
        try Self.workflows.write(to: workflowsFile, atomically: true, encoding: .utf8)
        try """
        broker: {endpoint: \(endpoints.requests), publish_endpoint: \(endpoints.publish), subscribe_endpoint: \(endpoints.subscribe), heartbeat_interval: 250ms}
        security: {mode: none, keys: \(harness.directory.appendingPathComponent("keys").path)}
        http: {enabled: false}
        orchestrator: {database: "\(database)", workflows: [\(workflowsFile.path)], lease: 2s, max_concurrent_runs: 10}
        """.write(to: configFile, atomically: true, encoding: .utf8)
        let colony = ProcessHarness.colonyBinary.path
        func start(_ host: String, _ arguments: [String], name: String, environment: [String: String] = [:]) throws -> Process {
            let (ip, command) = net.inside(host, [colony] + arguments + ["--config", configFile.path])
            return try harness.launch(ip, command, name: name, environment: environment)
        }
        _ = try start("broker", ["broker", "--log-level", "debug"], name: "broker")
        _ = try start("agents", ["agent", "run", "echo", "--concurrency", "16"], name: "echo",
                      environment: ["COLONY_EXECUTION_JOURNAL": journal.path, "COLONY_ENDPOINT": endpoints.requests,
                                    "COLONY_PUBLISH_ENDPOINT": endpoints.publish, "COLONY_SUBSCRIBE_ENDPOINT": endpoints.subscribe])
        var orchestrators: [String: Process] = [:]
        orchestrators["a"] = try start("a", ["orchestrator", "--log-level", "debug"], name: "orchestrator-a")
        orchestrators["b"] = try start("b", ["orchestrator", "--log-level", "debug"], name: "orchestrator-b")
        let client = ColonyClient(endpoints: endpoints, credentials: nil)
        #expect(try await waitForAgents(client, capability: "echo.sleep"), "\(harness.log(of: "echo"))")
        #expect(try await waitForAgents(client, capability: OrchestratorAPI.run), "\(harness.log(of: "orchestrator-a"))\(harness.log(of: "orchestrator-b"))")
        func activeHost(term: Int) async throws -> String? {
            try await eventually(timeout: .seconds(60)) { () -> String? in
                ["a", "b"].first { terms(in: harness.log(of: "orchestrator-\($0)")).contains(term) }
            }
        }
        func startRuns(_ count: Int) async throws -> [RunID] {
            var runs: [RunID] = []
            for _ in 0..<count {
                runs.append(try await client.request(OrchestratorAPI.run, OrchestratorAPI.RunRequest(workflow: "chain", input: nil, priority: nil),
                                                     as: RunRecord.self, timeout: .seconds(30)).id)
            }
            return runs
        }

        // 1. kill -9 the active orchestrator with runs in flight: the other host takes term 2.
        let first = try #require(try await activeHost(term: 1))
        var runs = try await startRuns(3)
        _ = try await eventually(timeout: .seconds(60)) { try journalEntries(journal).filter { $0.event == "succeeded" }.count >= 4 ? true : nil }
        harness.signal(orchestrators[first]!, SIGKILL)
        #expect(await harness.waitForExit(orchestrators[first]!))
        let second = try #require(try await activeHost(term: 2))
        #expect(second != first)
        orchestrators[first] = try start(first, ["orchestrator", "--log-level", "debug"], name: "orchestrator-\(first)")

        // 2. Cut the new active one off while runs and the schedule are in flight: the restarted
        //    host takes term 3; when the link comes back, the cut-off one is refused and stands by.
        runs += try await startRuns(3)
        _ = try await eventually(timeout: .seconds(60)) { try journalEntries(journal).filter { $0.event == "succeeded" }.count >= 30 ? true : nil }
        try net.partition(second)
        let third = try #require(try await activeHost(term: 3))
        #expect(third == first)
        _ = try await eventually(timeout: .seconds(60)) { try journalEntries(journal).filter { $0.event == "succeeded" }.count >= 40 ? true : nil }
        try net.heal(second)
        let steppedDown = try await eventually(timeout: .seconds(60)) { () -> Bool? in
            let log = harness.log(of: "orchestrator-\(second)")
            return log.contains("lost the orchestrator lease") || log.contains("another orchestrator holds the lease") ? true : nil
        }
        #expect(steppedDown == true, "\(harness.log(of: "orchestrator-\(second)").suffix(3000))")

        // Every run completes, each of its steps succeeded exactly once.
        for run in runs {
            let done = try await eventually(timeout: .seconds(120)) { () -> RunStatus? in
                let detail = try await client.request(OrchestratorAPI.show, OrchestratorAPI.RunReference(run: run), as: OrchestratorAPI.RunDetail.self,
                                                      timeout: .seconds(10))
                return detail.run.status.isFinal ? detail.run.status : nil
            }
            #expect(done == .completed, "run \(run)")
        }
        let entries = try journalEntries(journal).filter { entry in runs.contains { $0 == entry.run } }
        var successes: [String: Int] = [:]
        for entry in entries where entry.event == "succeeded" { successes["\(entry.run?.rawValue ?? "?")/\(entry.step?.rawValue ?? "?")", default: 0] += 1 }
        #expect(successes.count == runs.count * 8, "every step of every run succeeded")
        #expect(successes.values.allSatisfy { $0 == 1 }, "no step ran twice: \(successes.filter { $0.value > 1 })")

        // Every tick started at most one run, and ticks went on across both takeovers.
        let store = try await PostgresWorkflowStore(try PostgresLocation(database), logger: {
            var logger = Logger(label: "test.store")
            logger.logLevel = .error
            return logger
        }())
        defer { store.close() }
        // The scenario may be over in seconds: wait for ticks past the second takeover too.
        let beats = try await eventually(timeout: .seconds(60)) { () -> [RunRecord]? in
            let beats = try await store.runs(schedule: "beat", statuses: RunStatus.allCases, latest: nil)
            return beats.count > 5 ? beats : nil
        } ?? []
        #expect(Set(beats.compactMap(\.scheduledAt)).count == beats.count && beats.count > 5, "\(beats.count) beat runs")
        #expect(try await store.lease(OrchestratorLease.name)?.term == 3)
    }
}

/// Stops a cluster `postgres-cluster start` made (synchronously: for `defer`).
func stopCluster(_ script: String, _ directory: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: script)
    process.arguments = ["stop", directory]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return }
    process.waitUntilExit()
}

/// Whether Debian's PostgreSQL server is installed (scripts/setup installs it).
var hasPostgresServer: Bool {
    (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false
}
