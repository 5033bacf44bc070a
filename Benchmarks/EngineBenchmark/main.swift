import ColonyAgent
import ColonyBroker
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation
import Logging

// Engine overhead per step, with durable state: an in-process broker, an in-process no-op
// agent, the engine on a fresh SQLite file (WAL). Each scenario is timed end to end and
// compared with the same number of bare bus round trips at the same concurrency, so the
// difference is what the engine adds (decisions, SQLite transactions, bookkeeping).
// Usage: engine-benchmark [repetitions]

LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
let repetitions = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 3
let port = Int.random(in: 30_000...40_000)
let endpoints = BrokerEndpoints(requests: "tcp://127.0.0.1:\(port)")
var configuration = BrokerConfiguration()
configuration.endpoints = endpoints
let broker = try Broker.start(configuration, logger: Logger(label: "broker"))

var noop = Agent(name: "noop", concurrency: 512)
noop.rawCapability("noop") { body, _ in body }
var agentOptions = AgentOptions(endpoints: endpoints, handlesSignals: false)
agentOptions.handlersOnIOThread = true
let agentTask = Task { [agentOptions] in try await noop.run(options: agentOptions) }

let client = ColonyClient(endpoints: endpoints)
while (try? await client.management(ManagementService.service, argument: "noop").text) != "200" {
    try await Task.sleep(for: .milliseconds(20))
}

func definition(_ yaml: String) -> WorkflowDefinition {
    var parser = WorkflowParser()
    let parsed = parser.parse(yaml, file: "benchmark")
    precondition(parser.errors.isEmpty, "\(parser.errors)")
    return parsed[0]
}

/// 1000 no-op steps in 20 layers of 50; each step depends on two of the layer before.
let wide = definition("name: wide\nsteps:\n" + (0..<20).flatMap { layer in (0..<50).map { index in
    let deps = layer == 0 ? "" : ", depends_on: [l\(layer - 1)s\(index), l\(layer - 1)s\((index + 1) % 50)]"
    return "  - {id: l\(layer)s\(index), capability: noop, params: {i: \(index)}\(deps)}"
} }.joined(separator: "\n"))
/// 1000 no-op steps one after another: every step waits for the one before.
let chain1000 = definition("name: chain1000\nsteps:\n" + (0..<1000).map { index in
    "  - {id: s\(index), capability: noop\(index == 0 ? "" : ", depends_on: [s\(index - 1)]")}"
}.joined(separator: "\n"))
/// 10 no-op steps one after another.
let chain10 = definition("name: chain10\nsteps:\n" + (0..<10).map { index in
    "  - {id: s\(index), capability: noop\(index == 0 ? "" : ", depends_on: [s\(index - 1)]")}"
}.joined(separator: "\n"))

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Times `runs` concurrent runs of `workflow` on a fresh database.
func timeRuns(_ workflow: WorkflowDefinition, runs: Int) async throws -> Duration {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-engine-bench-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try SQLiteWorkflowStore(path: directory.appendingPathComponent("bench.sqlite").path)
    let engine = Engine(store: store, dispatcher: BusDispatcher(client: client, logger: Logger(label: "bench")), logger: Logger(label: "bench"))
    let id = try await store.register(workflow)
    let clock = ContinuousClock()
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<runs {
            group.addTask {
                let run = try await engine.start(definitionID: id, definition: workflow, input: .null)
                await engine.waitUntilFinished(run.id)
                let snapshot = try await store.snapshot(run: run.id)
                precondition(snapshot.run.status == .completed, "run \(run.id) ended \(snapshot.run.status)")
            }
        }
        try await group.waitForAll()
    }
    let elapsed = clock.now - started
    await engine.shutDown()
    return elapsed
}

/// Times `count` bare no-op requests, `concurrency` at a time (the bus alone).
func timeBus(requests count: Int, concurrency: Int) async throws -> Duration {
    let clock = ContinuousClock()
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                for _ in stride(from: worker, to: count, by: concurrency) {
                    _ = try await client.request("noop", body: [Array("{}".utf8)], timeout: .seconds(30))
                }
            }
        }
        try await group.waitForAll()
    }
    return clock.now - started
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

struct Scenario {
    var name: String
    var workflow: WorkflowDefinition
    var runs: Int
    /// Requests in flight at once in the bare-bus comparison.
    var busConcurrency: Int
}

let scenarios = [
    Scenario(name: "1000-step DAG (20 layers x 50)", workflow: wide, runs: 1, busConcurrency: 50),
    Scenario(name: "1000-step chain", workflow: chain1000, runs: 1, busConcurrency: 1),
    Scenario(name: "100 concurrent 10-step runs", workflow: chain10, runs: 100, busConcurrency: 100),
]

print("engine benchmark: \(repetitions) repetitions, medians; per step = wall time / steps")
print("scenario                          steps  engine ms/step  bus-only ms/step  overhead ms/step  steps/s")
for scenario in scenarios {
    let steps = scenario.workflow.steps.count * scenario.runs
    var engineTimes: [Double] = []
    var busTimes: [Double] = []
    for _ in 0..<repetitions {
        engineTimes.append(seconds(try await timeRuns(scenario.workflow, runs: scenario.runs)))
        busTimes.append(seconds(try await timeBus(requests: steps, concurrency: scenario.busConcurrency)))
    }
    let engine = median(engineTimes) * 1000 / Double(steps)
    let bus = median(busTimes) * 1000 / Double(steps)
    print(scenario.name.padding(toLength: 32, withPad: " ", startingAt: 0)
        + String(format: "  %5d  %14.3f  %16.3f  %16.3f  %7.0f", steps, engine, bus, engine - bus, Double(steps) / median(engineTimes)))
}
agentTask.cancel()
broker.stop()
