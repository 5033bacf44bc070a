import ColonyCore
import Foundation
import GRDB

/// Where a schedule comes from.
public enum ScheduleOrigin: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
    /// Declared in a workflow file.
    case file
    /// Added at run time (`colony schedule add`).
    case added
}

/// What became of one tick of a schedule.
public enum TickOutcome: String, Codable, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {
    /// Its run was started.
    case started
    /// It waits for the running run (overlap: buffer_one, buffer_all).
    case buffered
    /// Not started: a run was going (overlap: skip), or one tick already waits, or it could not start.
    case skipped
    /// Too old to start (outside the catch-up window), or superseded by a later tick.
    case missed
    /// A run for this tick exists already (another scheduler, or before a restart).
    case duplicate
}

/// A schedule's durable state: whether it is paused, the newest tick decided, and its run of
/// failures. Schedules declared in workflow files and ones added at run time (`source` holds
/// their definition as JSON) alike.
public struct ScheduleRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "schedules"
    public var name: String
    public var workflow: String
    public var origin: ScheduleOrigin
    /// For added schedules: their definition (see `ScheduleSpec`).
    public var source: String?
    public var paused: Bool
    public var pausedReason: String?
    /// The newest tick the scheduler decided about.
    public var lastTick: Date?
    public var consecutiveFailures: Int
    public var createdAt: Date

    public init(name: String, workflow: String, origin: ScheduleOrigin, source: String? = nil, createdAt: Date = Date()) {
        self.name = name
        self.workflow = workflow
        self.origin = origin
        self.source = source
        self.paused = false
        self.consecutiveFailures = 0
        self.createdAt = createdAt
    }
}

/// What became of one tick of a schedule.
public struct TickRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "schedule_ticks"
    public var id: Int64?
    public var schedule: String
    public var scheduledAt: Date
    public var outcome: TickOutcome
    public var reason: String?
    public var runID: RunID?
    public var decidedAt: Date
    /// When its run was actually created (lateness = startedAt − scheduledAt).
    public var startedAt: Date?

    public init(schedule: String, scheduledAt: Date, outcome: TickOutcome, reason: String? = nil, runID: RunID? = nil,
                decidedAt: Date = Date(), startedAt: Date? = nil) {
        self.schedule = schedule
        self.scheduledAt = scheduledAt
        self.outcome = outcome
        self.reason = reason
        self.runID = runID
        self.decidedAt = decidedAt
        self.startedAt = startedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A lease on a role (the active orchestrator): who holds it, until when, and its term, which
/// grows by one each time the lease changes hands.
public struct LeaseRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "leases"
    public var name: String
    public var holder: String
    public var term: Int64
    public var expiresAt: Date
}
