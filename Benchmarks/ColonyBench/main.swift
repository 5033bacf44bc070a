import Foundation
import Logging

// Colony's benchmarks (not tests): `ColonyBench engine [repetitions]` and
// `ColonyBench scheduler [ticks]`. See scripts/bench-engine, scripts/bench-scheduler and
// docs/PERFORMANCE.md.

LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
let arguments = Array(CommandLine.arguments.dropFirst())
let harness = try await BenchHarness.start()
switch arguments.first {
case "engine":
    try await EngineOverhead.run(harness, repetitions: Int(arguments.dropFirst().first ?? "") ?? 3)
case "scheduler":
    try await SchedulerLateness.run(harness, ticks: Int(arguments.dropFirst().first ?? "") ?? 300)
default:
    print("usage: ColonyBench engine [repetitions] | scheduler [ticks]")
}
harness.stop()
