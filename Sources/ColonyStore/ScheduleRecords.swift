import Foundation
import GRDB

/// A schedule's durable state: whether it is paused, the newest tick decided, and its run of
/// failures. Schedules declared in workflow files and ones added at run time (`source` holds
/// their definition as JSON) alike.
public struct ScheduleRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "schedules"
    public var name: String
    public var workflow: String
    /// "file" (declared in a workflow file) or "added" (`colony schedule add`).
    public var origin: String
    /// For added schedules: their definition (see `ScheduleSpec`).
    public var source: String?
    public var paused: Bool
    public var pausedReason: String?
    /// The newest tick the scheduler decided about.
    public var lastTick: Date?
    public var consecutiveFailures: Int
    public var createdAt: Date

    public init(name: String, workflow: String, origin: String, source: String? = nil, createdAt: Date = Date()) {
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
    /// started, buffered, skipped, missed, duplicate.
    public var outcome: String
    public var reason: String?
    public var runID: String?
    public var decidedAt: Date
    /// When its run was actually created (lateness = startedAt − scheduledAt).
    public var startedAt: Date?

    public init(schedule: String, scheduledAt: Date, outcome: String, reason: String? = nil, runID: String? = nil,
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
