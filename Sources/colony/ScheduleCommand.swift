import ArgumentParser
import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonySchedule
import ColonyStore
import ColonyWire
import ColonyYAML
import Foundation
import ColonyCore

/// `colony schedule …`: the scheduler of the running orchestrator.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "List, pause, resume, trigger, add and remove workflow schedules.",
        subcommands: [List.self, Pause.self, Resume.self, Trigger.self, Add.self, Remove.self, Ticks.self]
    )

    /// What a change to a schedule came to, for `--json`.
    struct Outcome: Encodable {
        var schedule: String
        var state: String
    }

    /// The arguments every command about one schedule takes.
    struct NamedSchedule: ParsableArguments {
        @Argument(help: "The schedule's name.") var name: String
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        /// Asks the orchestrator to change the schedule and reports its new state.
        func change(_ capability: String, reason: String? = nil, to state: String) async throws {
            _ = try await askOrchestrator(capability, ScheduleAPI.Target(name: name, reason: reason), as: Empty.self, global: global, connection: connection)
            Console.line(json ? prettyJSON(Outcome(schedule: name, state: state)) : "\(name) \(state)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schedules: next fire time, last run and its result, paused, misses.")
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let reply = try await askOrchestrator(ScheduleAPI.list, Empty(), as: ScheduleAPI.ListReply.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply.schedules))
                return
            }
            var table = Table("SCHEDULE", "WORKFLOW", "TRIGGER", "NEXT", "LAST RUN", "RESULT", "MISSED", "SKIPPED", "STATE")
            for schedule in reply.schedules {
                let state = schedule.paused ? "paused\(schedule.pausedReason.map { " (\($0))" } ?? "")" : "active"
                table.add(schedule.name, schedule.workflow, schedule.trigger, schedule.nextFire.map(\.timestamp) ?? "-",
                          schedule.lastRun?.rawValue ?? "-", schedule.lastRunStatus ?? "-", "\(schedule.missed)", "\(schedule.skipped)", state)
            }
            Console.line(table.rendered)
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop firing a schedule until it is resumed.")
        @OptionGroup var target: NamedSchedule
        @Option(help: "Why (shown by `colony schedule list`).") var reason: String?

        func run() async throws {
            try await target.change(ScheduleAPI.pause, reason: reason, to: "paused")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fire a paused schedule again, from its next tick.")
        @OptionGroup var target: NamedSchedule

        func run() async throws {
            try await target.change(ScheduleAPI.resume, to: "resumed")
        }
    }

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a run of a schedule now.")
        @OptionGroup var target: NamedSchedule

        func run() async throws {
            let run = try await askOrchestrator(ScheduleAPI.trigger, ScheduleAPI.Target(name: target.name), as: RunRecord.self,
                                                global: target.global, connection: target.connection)
            Console.line(target.json ? prettyJSON(run) : "\(run.id)  \(run.workflow) started by \(target.name)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a schedule at run time (kept in the database).")
        @Argument(help: "The schedule's name.") var name: String
        @Option(help: "The workflow it runs.") var workflow: String
        @Option(help: "An interval such as 30s or 5m.", transform: DurationOption.parse) var every: DurationOption?
        @Option(help: "A cron expression (5 fields), e.g. \"*/5 * * * *\".") var cron: String?
        @Option(help: "Time zone of the cron expression (default UTC).") var timezone: String?
        @Option(help: "The run input as a JSON object.") var input: String?
        @Option(help: "Overlap policy: skip, buffer_one, buffer_all, cancel_other, allow_all.") var overlap: String?
        @Option(help: "Catch-up window after downtime, e.g. 10m.", transform: DurationOption.parse) var catchUp: DurationOption?
        @Option(help: "Random delay of up to this much per tick, e.g. 2s.", transform: DurationOption.parse) var jitter: DurationOption?
        @Option(help: "Pause after this many consecutive failed runs.") var pauseAfterFailures: Int?
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var spec = ScheduleSpec(name: name, workflow: workflow, everySeconds: every?.duration.seconds, cron: cron, timezone: timezone)
            if let input {
                spec.input = try JSONDecoder().decode(JSONValue.self, from: Data(try validatedJSON(input, what: "--input")))
            }
            spec.overlap = overlap
            spec.catchUpWindowSeconds = catchUp?.duration.seconds
            spec.jitterSeconds = jitter?.duration.seconds
            spec.pauseAfterFailures = pauseAfterFailures
            do {
                _ = try spec.schedule()
            } catch {
                Console.error("error: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            _ = try await askOrchestrator(ScheduleAPI.add, spec, as: Empty.self, global: global, connection: connection)
            Console.line(json ? prettyJSON(Outcome(schedule: name, state: "added")) : "\(name) added")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule added with `colony schedule add`.")
        @OptionGroup var target: NamedSchedule

        func run() async throws {
            try await target.change(ScheduleAPI.remove, to: "removed")
        }
    }

    struct Ticks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent ticks and what became of each: started, buffered, skipped, missed (with why).")
        @Argument(help: "Only this schedule.") var name: String?
        @Option(help: "At most this many.") var limit: Int = 20
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let reply = try await askOrchestrator(ScheduleAPI.ticks, ScheduleAPI.TicksRequest(schedule: name, limit: limit),
                                                  as: ScheduleAPI.TicksReply.self, global: global, connection: connection)
            if json {
                Console.line(prettyJSON(reply.ticks))
                return
            }
            var table = Table("SCHEDULE", "TICK", "OUTCOME", "LATE", "RUN", "REASON")
            for tick in reply.ticks {
                let late = tick.startedAt.map { String(format: "%.1fms", $0.timeIntervalSince(tick.scheduledAt) * 1000) } ?? "-"
                table.add(tick.schedule, tick.scheduledAt.timestamp, tick.outcome.rawValue, late, tick.runID?.rawValue ?? "-", tick.reason ?? "")
            }
            Console.line(table.rendered)
        }
    }
}
