import ColonyCore
import ColonyStore
import Foundation

/// One schedule as `colony schedule list` shows it.
public struct ScheduleSummary: Codable, Sendable, Hashable {
    public var name: String
    public var workflow: String
    public var trigger: String
    /// "file" or "added".
    public var origin: ScheduleOrigin
    public var overlap: String
    public var paused: Bool
    public var pausedReason: String?
    public var nextFire: Date?
    public var lastTick: Date?
    public var lastRun: RunID?
    public var lastRunStatus: String?
    /// Ticks recorded as missed or skipped.
    public var missed: Int
    public var skipped: Int
    public var consecutiveFailures: Int
}

