import ColonyCore
import Foundation

/// A schedule as JSON: how `colony schedule add` sends one to the orchestrator and how the
/// store keeps schedules added at run time.
public struct ScheduleSpec: Codable, Sendable, Hashable {
    public var name: String
    public var workflow: String
    /// Interval in seconds (or `cron`).
    public var everySeconds: Double?
    public var offsetSeconds: Double?
    public var cron: String?
    public var timezone: String?
    public var start: Date?
    public var end: Date?
    public var jitterSeconds: Double?
    public var input: JSONValue?
    public var overlap: String?
    public var catchUpWindowSeconds: Double?
    public var catchUpMode: String?
    public var pauseAfterFailures: Int?

    public init(name: String, workflow: String, everySeconds: Double? = nil, cron: String? = nil, timezone: String? = nil) {
        self.name = name
        self.workflow = workflow
        self.everySeconds = everySeconds
        self.cron = cron
        self.timezone = timezone
    }

    /// Why a spec does not make a schedule.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The schedule this spec describes.
    public func schedule() throws(Invalid) -> Schedule {
        let trigger: Schedule.Trigger
        switch (everySeconds, cron) {
        case (let seconds?, nil):
            guard seconds >= 0.1, let interval = Duration(checkedSeconds: seconds) else {
                throw Invalid(description: "the interval must be from 100ms to 100 years, not \(seconds) s")
            }
            trigger = .every(interval, offset: try Self.duration(offsetSeconds, "offset"))
        case (nil, let text?):
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                throw Invalid(description: "bad cron expression: \(error)")
            }
            guard let zone = TimeZone(identifier: timezone ?? "UTC") else { throw Invalid(description: "unknown time zone '\(timezone ?? "")'") }
            trigger = .cron(expression, zone)
        default:
            throw Invalid(description: "a schedule needs either an interval (every) or a cron expression, not both or neither")
        }
        var schedule = Schedule(name: name, workflow: workflow, trigger: trigger, start: start, end: end)
        schedule.jitter = try Self.duration(jitterSeconds, "jitter")
        schedule.input = input ?? .object([:])
        if let overlap {
            guard let policy = Schedule.OverlapPolicy(rawValue: overlap) else {
                throw Invalid(description: "unknown overlap policy '\(overlap)' (\(Schedule.OverlapPolicy.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            schedule.overlap = policy
        }
        if let window = catchUpWindowSeconds { schedule.catchUpWindow = try Self.duration(window, "catch-up window") }
        if let mode = catchUpMode {
            guard let value = Schedule.CatchUpMode(rawValue: mode) else { throw Invalid(description: "unknown catch-up mode '\(mode)' (all, latest)") }
            schedule.catchUpMode = value
        }
        let range = Schedule.pauseAfterFailuresRange
        if let pauseAfterFailures, !range.contains(pauseAfterFailures) {
            throw Invalid(description: "pause after failures must be from \(range.lowerBound) to \(range.upperBound) runs, not \(pauseAfterFailures)")
        }
        schedule.pauseAfterFailures = pauseAfterFailures
        return schedule
    }

    /// Seconds from a spec as a duration (zero when absent), refused when not a finite
    /// number from 0 to `Duration.longest`.
    private static func duration(_ seconds: Double?, _ what: String) throws(Invalid) -> Duration {
        guard let seconds else { return .zero }
        guard let duration = Duration(checkedSeconds: seconds) else {
            throw Invalid(description: "the \(what) must be from 0 to 100 years, not \(seconds) s")
        }
        return duration
    }
}

extension Schedule {
    /// A one-line description: `every 30s`, `cron */5 * * * * (UTC)`.
    public var triggerDescription: String {
        switch trigger {
        case .every(let interval, let offset): return "every \(interval.formatted)\(offset == .zero ? "" : " +\(offset.formatted)")"
        case .cron(let expression, let zone): return "cron \(expression) (\(zone.identifier))"
        }
    }
}
