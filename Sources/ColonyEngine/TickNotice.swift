import ColonyCore
import ColonySchedule
import ColonyStore
import Foundation

/// A schedule's tick as the scheduler decided and stored it, with the workflow it runs: what
/// observers hear (the orchestrator publishes it as `schedule.ticked`).
public struct TickNotice: Codable, Sendable, Hashable {
    public var schedule: String
    public var workflow: String
    public var scheduledAt: Date
    public var outcome: TickOutcome
    public var reason: String?
    /// The run it started, if it started one.
    public var run: RunID?
    public var decidedAt: Date

    public init(_ record: TickRecord, of schedule: Schedule) {
        self.schedule = record.schedule
        workflow = schedule.workflow
        scheduledAt = record.scheduledAt
        outcome = record.outcome
        reason = record.reason
        run = record.runID
        decidedAt = record.decidedAt
    }
}
