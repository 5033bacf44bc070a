import Foundation
import Logging

// Colony's benchmarks (not tests): `ColonyBench engine [repetitions]`, `ColonyBench gate
// [rounds]`, `ColonyBench scheduler [ticks]`, `ColonyBench curve [seconds] [rounds]` and
// `ColonyBench catalog [files] [looks]`. See
// scripts/bench-all, scripts/bench-engine, scripts/bench-scheduler, scripts/bench-curve and
// docs/PERFORMANCE.md.

LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "curve" {
    try await CurveCost.run(seconds: Double(arguments.dropFirst().first ?? "") ?? 3, rounds: Int(arguments.dropFirst(2).first ?? "") ?? 3)
    exit(0)
}
if arguments.first == "catalog" {
    try await CatalogLook.run(files: Int(arguments.dropFirst().first ?? "") ?? 50, looks: Int(arguments.dropFirst(2).first ?? "") ?? 200)
    exit(0)
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
    print("usage: ColonyBench engine [repetitions] | gate [rounds] | scheduler [ticks] | curve [seconds] [rounds] | catalog [files] [looks]")
}
harness.stop()
