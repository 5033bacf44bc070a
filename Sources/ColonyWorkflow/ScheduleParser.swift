import ColonyCore
import ColonySchedule
import ColonyYAML
import Foundation

/// Reads a workflow's `schedule:` mapping, with file and line for every mistake.
///
/// ```yaml
/// schedule:
///   every: 30s             # or cron: "*/5 * * * *" with timezone: Europe/Paris (default UTC)
///   offset: 5s             # interval ticks at epoch-aligned times + offset
///   start: 2026-12-01T00:00:00Z
///   end: 2027-01-01T00:00:00Z
///   jitter: 2s
///   input: {symbol: ACME}
///   overlap: skip          # buffer_one, buffer_all, cancel_other, allow_all
///   catch_up: {window: 10m, mode: all}   # or latest
///   pause_after_failures: 3
/// ```
public enum ScheduleParser {
    static let keys = ["every", "cron", "offset", "timezone", "start", "end", "jitter", "input", "overlap", "catch_up",
                       "pause_after_failures", "name"]

    public static func parse(_ mapping: YAMLMapping, workflow: String) throws(ConfigError) -> Schedule {
        try mapping.rejectUnknownKeys(keys, in: "'schedule'")
        let trigger: Schedule.Trigger
        switch (try mapping.duration("every"), try mapping.string("cron")) {
        case (let interval?, nil):
            guard interval >= .milliseconds(100) else {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "every"), message: "'every' must be at least 100ms")
            }
            if mapping.line(of: "timezone") != nil {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "timezone"), message: "'timezone' applies to 'cron' schedules only")
            }
            trigger = .every(interval, offset: try mapping.duration("offset", allowsZero: true) ?? .zero)
        case (nil, let text?):
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "cron"), message: "bad cron expression: \(error)",
                                  hint: "five fields: minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\"")
            }
            let zoneName = try mapping.string("timezone") ?? "UTC"
            guard let zone = TimeZone(identifier: zoneName) else {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "timezone"), message: "unknown time zone '\(zoneName)'",
                                  hint: "an IANA name such as UTC, Europe/Paris or America/New_York")
            }
            if mapping.line(of: "offset") != nil {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "offset"), message: "'offset' applies to 'every' schedules only")
            }
            trigger = .cron(expression, zone)
        case (nil, nil):
            throw ConfigError(file: mapping.file, line: mapping.line, message: "a schedule needs 'every' (an interval) or 'cron'")
        case (.some, .some):
            throw ConfigError(file: mapping.file, line: mapping.line(of: "cron"), message: "a schedule has either 'every' or 'cron', not both")
        }
        var schedule = Schedule(name: try mapping.string("name") ?? workflow, workflow: workflow, trigger: trigger)
        schedule.start = try date(mapping, "start")
        schedule.end = try date(mapping, "end")
        if let start = schedule.start, let end = schedule.end, end <= start {
            throw ConfigError(file: mapping.file, line: mapping.line(of: "end"), message: "'end' must be after 'start'")
        }
        schedule.jitter = try mapping.duration("jitter", allowsZero: true) ?? .zero
        if let (node, _) = mapping.node("input") {
            schedule.input = JSONValue(yaml: node)
            guard case .object = schedule.input else {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "input"), message: "a schedule's 'input' must be a mapping")
            }
        }
        if let overlap = try mapping.choice("overlap", from: Schedule.OverlapPolicy.allCases.map(\.rawValue)) {
            schedule.overlap = Schedule.OverlapPolicy(rawValue: overlap)!
        }
        if case .scalar = mapping.node("catch_up")?.node {
            schedule.catchUpWindow = try mapping.duration("catch_up", allowsZero: true) ?? schedule.catchUpWindow
        } else if let catchUp = try mapping.mapping("catch_up") {
            try catchUp.rejectUnknownKeys(["window", "mode"], in: "'catch_up'")
            schedule.catchUpWindow = try catchUp.duration("window", allowsZero: true) ?? schedule.catchUpWindow
            if let mode = try catchUp.choice("mode", from: ["all", "latest"]) {
                schedule.catchUpMode = Schedule.CatchUpMode(rawValue: mode)!
            }
        }
        schedule.pauseAfterFailures = try mapping.integer("pause_after_failures", in: Schedule.pauseAfterFailuresRange)
        return schedule
    }

    private static func date(_ mapping: YAMLMapping, _ key: String) throws(ConfigError) -> Date? {
        guard let text = try mapping.string(key) else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw ConfigError(file: mapping.file, line: mapping.line(of: key), message: "'\(key)' must be a date and time such as 2026-12-01T09:00:00Z, not '\(text)'")
    }
}
