import ColonyAgent
import ColonyWire
import Foundation
import Logging

// Colony's benchmarks (not tests): `ColonyBench engine [repetitions]`, `ColonyBench gate
// [rounds]`, `ColonyBench scheduler [ticks]`, `ColonyBench curve [seconds] [rounds]`,
// `ColonyBench catalog [files] [looks]`, `ColonyBench broker ENDPOINT [KEY_DIRECTORY]` and
// `ColonyBench agent REQUESTS PUBLISH SUBSCRIBE` (the last two are what `SPLIT=1` runs). See
// scripts/bench-all, scripts/bench-engine, scripts/bench-scheduler, scripts/bench-curve,
// scripts/bench-broker-instructions and docs/PERFORMANCE.md.
//
// The main thread never awaits (the async benchmarks run in a task it waits for), so that
// `broker` runs under valgrind, which cannot run an async main.

LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "broker", arguments.count == 2 || arguments.count == 3 {
    exitWhenStandardInputCloses()
    try BrokerOnMainThread.run(endpoint: arguments[1], keyDirectory: arguments.count == 3 ? arguments[2] : nil)
    exit(0)
}
let finished = DispatchSemaphore(value: 0)
Task.detached { [arguments] in
    do {
        try await runBenchmark(arguments)
    } catch {
        print("error: \(error)")
        exit(1)
    }
    finished.signal()
}
finished.wait()

func runBenchmark(_ arguments: [String]) async throws {
    if arguments.first == "agent", arguments.count == 4 {
        exitWhenStandardInputCloses()
        var options = AgentOptions(endpoints: BrokerEndpoints(requests: arguments[1], publish: arguments[2], subscribe: arguments[3]),
                                   handlesSignals: false)
        options.handlersOnIOThread = true
        try await BenchHarness.noopAgent.run(options: options)
        return
    }
    if arguments.first == "curve" {
        try await CurveCost.run(seconds: Double(arguments.dropFirst().first ?? "") ?? 3, rounds: Int(arguments.dropFirst(2).first ?? "") ?? 3)
        return
    }
    if arguments.first == "catalog" {
        try await CatalogLook.run(files: Int(arguments.dropFirst().first ?? "") ?? 50, looks: Int(arguments.dropFirst(2).first ?? "") ?? 200)
        return
    }
    let harness = try await BenchHarness.start()
    switch arguments.first {
    case "engine":
        try await EngineOverhead.run(harness, repetitions: Int(arguments.dropFirst().first ?? "") ?? 3,
                                     controlPlane: arguments.dropFirst(2).first == "control-plane")
    case "gate":
        try await GateLatency.run(harness, rounds: Int(arguments.dropFirst().first ?? "") ?? 200)
    case "scheduler":
        try await SchedulerLateness.run(harness, ticks: Int(arguments.dropFirst().first ?? "") ?? 300)
    default:
        print("usage: ColonyBench engine [repetitions] | gate [rounds] | scheduler [ticks] | curve [seconds] [rounds] | catalog [files] [looks] | broker ENDPOINT [KEY_DIRECTORY]")
    }
    harness.stop()
}
