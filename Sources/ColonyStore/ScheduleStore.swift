import ColonyCore
import ColonyWorkflow
import Foundation

/// What the scheduler keeps: schedule states, every tick's outcome, and the lease that makes
/// one orchestrator the active one.
public protocol ScheduleStore: Sendable {
    /// Adds the schedule if it is new (file schedules are synced on every pass); returns its state.
    func ensureSchedule(_ record: ScheduleRecord) async throws(StoreError) -> ScheduleRecord
    func schedules() async throws(StoreError) -> [ScheduleRecord]
    func removeSchedule(_ name: String) async throws(StoreError)
    func setPaused(_ name: String, paused: Bool, reason: String?) async throws(StoreError)
    /// Records the newest tick decided and the failure streak.
    func updateSchedule(_ name: String, lastTick: Date?, consecutiveFailures: Int?) async throws(StoreError)

    /// Records a tick's outcome (a tick decided again, e.g. a buffered one starting, is updated).
    func recordTick(_ tick: TickRecord) async throws(StoreError)
    /// The newest `limit` ticks of a schedule (all schedules when nil), newest first.
    func ticks(schedule: String?, outcome: TickOutcome?, limit: Int) async throws(StoreError) -> [TickRecord]
    /// Runs started by a schedule with one of `statuses`, oldest tick first; only the `latest`
    /// ones when given.
    func runs(schedule: String, statuses: [RunStatus], latest: Int?) async throws(StoreError) -> [RunRecord]

    /// Takes or renews the lease `name` for `holder` until `now + duration`, if it is free,
    /// expired or already the holder's; returns the term held, or nil when someone else holds it.
    func acquireLease(_ name: String, holder: String, duration: Duration, now: Date) async throws(StoreError) -> Int64?
    /// Gives the lease up at once if `holder` holds it; the next holder's term is one more.
    func releaseLease(_ name: String, holder: String) async throws(StoreError)
    /// The lease `name` as stored (holder, term, expiry), if anyone ever held it.
    func lease(_ name: String) async throws(StoreError) -> LeaseRecord?
    /// From now on every write (but the lease's own) checks `fence` in its transaction and is
    /// refused once the lease has another holder or term.
    func fence(_ fence: LeaseFence)
}
