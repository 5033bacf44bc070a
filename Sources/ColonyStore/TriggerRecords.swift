import ColonyCore
import Foundation
import GRDB

/// What became of one event a workflow's trigger heard.
public enum FiringOutcome: String, Codable, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {
    /// Its run was started.
    case started
    /// The trigger's `when` did not hold.
    case filtered
    /// Its dedupe key had started a run already (a redelivered or replayed event).
    case duplicate
    /// It could not start a run (bad input, a missing dedupe value, the workflow disabled).
    case refused
}

/// One firing of a workflow's event trigger, recorded like a schedule tick.
public struct FiringRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "trigger_firings"
    public var id: Int64?
    /// The workflow whose trigger it is.
    public var workflow: String
    public var topic: String
    public var outcome: FiringOutcome
    public var reason: String?
    public var dedupeKey: String?
    public var runID: RunID?
    public var at: Date

    public init(workflow: String, topic: String, outcome: FiringOutcome, reason: String? = nil, dedupeKey: String? = nil, runID: RunID? = nil, at: Date) {
        self.workflow = workflow
        self.topic = topic
        self.outcome = outcome
        self.reason = reason
        self.dedupeKey = dedupeKey
        self.runID = runID
        self.at = at
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Counts of a trigger's firings by outcome, and its last one.
public struct FiringSummary: Codable, Sendable, Hashable {
    public var workflow: String
    public var counts: [String: Int]
    public var last: FiringRecord?

    public init(workflow: String, counts: [String: Int] = [:], last: FiringRecord? = nil) {
        self.workflow = workflow
        self.counts = counts
        self.last = last
    }
}

/// How far the triggers have read the broker's event journal: every event up to `seq` of
/// `journal` has been decided and its firings recorded.
public struct JournalCursor: Codable, Sendable, Hashable {
    public var journal: String
    public var seq: UInt64

    public init(journal: String, seq: UInt64) {
        self.journal = journal
        self.seq = seq
    }
}

/// Where trigger firings are kept: at most `TriggerStore.keptPerWorkflow` per workflow (older
/// ones are pruned as new ones arrive).
public protocol TriggerStore: Sendable {
    func recordFiring(_ firing: FiringRecord) async throws(StoreError)
    /// Records one event's firings and moves the cursor past it, in one transaction: an event
    /// is either decided and recorded, or read again after a restart.
    func recordFirings(_ firings: [FiringRecord], cursor: JournalCursor) async throws(StoreError)
    /// Where the triggers stopped reading; nil before the first read (or after nothing was armed).
    func journalCursor() async throws(StoreError) -> JournalCursor?
    /// Moves the cursor (past events no trigger wanted), or forgets it (nil).
    func saveJournalCursor(_ cursor: JournalCursor?) async throws(StoreError)
    /// The latest firings, newest first, of one workflow or all.
    func firings(workflow: String?, limit: Int) async throws(StoreError) -> [FiringRecord]
    func firingSummaries() async throws(StoreError) -> [FiringSummary]
}

extension TriggerStore {
    /// Firings kept per workflow; a busy topic cannot grow the database without bound.
    public static var keptPerWorkflow: Int { 1000 }
}
