import Foundation
import ColonyCore

/// When a workflow runs by itself: an interval or a cron expression, within optional start and
/// end times, with what to do about overlapping runs and ticks missed while nobody was looking.
public struct Schedule: Sendable, Hashable {
    /// What produces ticks.
    public enum Trigger: Sendable, Hashable {
        /// Every `interval`, at epoch-aligned times shifted by `offset` (so every scheduler and
        /// every restart computes the same tick times).
        case every(Duration, offset: Duration)
        /// A cron expression read in a time zone.
        case cron(CronExpression, TimeZone)
    }

    /// What a tick does while a run of the same schedule is still going.
    public enum OverlapPolicy: String, Sendable, Hashable, CaseIterable {
        /// Drop the tick (recorded as skipped).
        case skip
        /// Keep one tick waiting; it starts when the running one ends. Further ticks are skipped.
        case bufferOne = "buffer_one"
        /// Keep every tick waiting, in order.
        case bufferAll = "buffer_all"
        /// Cancel the running run, then start.
        case cancelOther = "cancel_other"
        /// Start anyway.
        case allowAll = "allow_all"
    }

    /// Which missed ticks inside the catch-up window start after downtime.
    public enum CatchUpMode: String, Sendable, Hashable {
        /// Each missed tick inside the window starts once.
        case all
        /// Only the latest starts; the others are recorded as superseded.
        case latest
    }

    /// The schedule's name: the workflow's, or the name given when added at run time.
    public var name: String
    public var workflow: String
    public var trigger: Trigger
    public var start: Date?
    public var end: Date?
    /// Up to this much random delay is added to each tick's start (not to its identity).
    public var jitter: Duration
    /// The input of each run.
    public var input: JSONValue
    public var overlap: OverlapPolicy
    /// How far back missed ticks still start; older ones are recorded as missed.
    public var catchUpWindow: Duration
    public var catchUpMode: CatchUpMode
    /// Pause the schedule after this many consecutive failed runs (nil: never).
    public var pauseAfterFailures: Int?
    /// The failures a schedule may pause after, from a workflow file or the API.
    public static let pauseAfterFailuresRange = 1...1_000_000

    public init(
        name: String, workflow: String, trigger: Trigger, start: Date? = nil, end: Date? = nil, jitter: Duration = .zero,
        input: JSONValue = .object([:]), overlap: OverlapPolicy = .skip, catchUpWindow: Duration = .seconds(60),
        catchUpMode: CatchUpMode = .all, pauseAfterFailures: Int? = nil
    ) {
        self.name = name
        self.workflow = workflow
        self.trigger = trigger
        self.start = start
        self.end = end
        self.jitter = jitter
        self.input = input
        self.overlap = overlap
        self.catchUpWindow = catchUpWindow
        self.catchUpMode = catchUpMode
        self.pauseAfterFailures = pauseAfterFailures
    }

    /// The first tick strictly after `date`, within start and end; nil when there is none.
    public func nextTick(after date: Date) -> Date? {
        let from = max(date, (start ?? .distantPast).addingTimeInterval(-0.000_001))
        let tick: Date?
        switch trigger {
        case .every(let interval, let offset):
            let period = interval.seconds
            let shift = offset.seconds
            let index = ((from.timeIntervalSince1970 - shift) / period).rounded(.down) + 1
            tick = Date(timeIntervalSince1970: index * period + shift)
        case .cron(let expression, let timeZone):
            tick = expression.next(after: from, in: timeZone)
        }
        guard let tick, end.map({ tick <= $0 }) ?? true else { return nil }
        return tick
    }

    /// `date` moved onto the tick it stands for when it is within a millisecond of one: a tick
    /// read back from storage (kept to the millisecond) must not count as before itself and
    /// fire twice.
    public func aligned(_ date: Date) -> Date {
        guard case .every(let interval, let offset) = trigger else { return date }
        let period = interval.seconds, shift = offset.seconds
        let tick = Date(timeIntervalSince1970: ((date.timeIntervalSince1970 - shift) / period).rounded() * period + shift)
        return abs(tick.timeIntervalSince(date)) < 0.001 ? tick : date
    }

    /// The ticks in (`after`, `through`], oldest first, at most `limit` of them (the newest kept).
    public func ticks(after: Date, through: Date, limit: Int = 10_000) -> [Date] {
        var ticks: [Date] = []
        var cursor = after
        while let tick = nextTick(after: cursor), tick <= through {
            ticks.append(tick)
            if ticks.count > limit { ticks.removeFirst() }
            cursor = tick
        }
        return ticks
    }
}
