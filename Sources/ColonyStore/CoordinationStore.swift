import ColonyCore
import Foundation
import GRDB

/// A group's leadership as stored: the leader, its term (only grows) and when its lease ends.
public struct LeadershipRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "leaderships"
    public var group: GroupName
    public var leader: InstanceID?
    public var term: Int64
    public var expiresAt: Date
    public var updatedAt: Date

    public init(group: GroupName, leader: InstanceID?, term: Int64, expiresAt: Date, updatedAt: Date = Date()) {
        self.group = group
        self.leader = leader
        self.term = term
        self.expiresAt = expiresAt
        self.updatedAt = updatedAt
    }
}

/// One coordination round (consensus or auction): its whole state as JSON, and its decision.
public struct RoundRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "coordination_rounds"
    public var id: String
    public var kind: String
    public var group: GroupName
    public var state: String
    public var decision: String?
    public var openedAt: Date
    public var decidedAt: Date?
    public var announcedAt: Date?

    public init(id: String, kind: String, group: GroupName, state: String, decision: String?, openedAt: Date,
                decidedAt: Date? = nil, announcedAt: Date? = nil) {
        self.id = id
        self.kind = kind
        self.group = group
        self.state = state
        self.decision = decision
        self.openedAt = openedAt
        self.decidedAt = decidedAt
        self.announcedAt = announcedAt
    }
}

/// What coordination persists before it announces anything, so a restart never changes an
/// outcome.
public protocol CoordinationStore: Sendable {
    func leadership(of group: GroupName) async throws(StoreError) -> LeadershipRecord?
    func leaderships() async throws(StoreError) -> [LeadershipRecord]
    /// Writes `record` if the stored term is still `expectedTerm` (nil: no record yet); returns
    /// whether it was written. Two coordinators can never both move a group to the same term.
    func saveLeadership(_ record: LeadershipRecord, expectedTerm: Int64?) async throws(StoreError) -> Bool
    func round(_ id: String) async throws(StoreError) -> RoundRecord?
    func saveRound(_ record: RoundRecord) async throws(StoreError)
    /// The newest rounds of a group, newest first.
    func rounds(group: GroupName, limit: Int) async throws(StoreError) -> [RoundRecord]
}

extension SQLiteWorkflowStore: CoordinationStore {
    public func leadership(of group: GroupName) async throws(StoreError) -> LeadershipRecord? {
        try await read { db in try LeadershipRecord.fetchOne(db, key: group) }
    }

    public func leaderships() async throws(StoreError) -> [LeadershipRecord] {
        try await read { db in try LeadershipRecord.order(LeadershipRecord.Columns.group).fetchAll(db) }
    }

    public func round(_ id: String) async throws(StoreError) -> RoundRecord? {
        try await read { db in try RoundRecord.fetchOne(db, key: id) }
    }

    public func saveRound(_ record: RoundRecord) async throws(StoreError) {
        try await write { db in try record.save(db) }
    }

    public func rounds(group: GroupName, limit: Int) async throws(StoreError) -> [RoundRecord] {
        try await read { db in
            try RoundRecord.filter(RoundRecord.Columns.group == group).order(RoundRecord.Columns.openedAt.desc).limit(limit).fetchAll(db)
        }
    }

    public func saveLeadership(_ record: LeadershipRecord, expectedTerm: Int64?) async throws(StoreError) -> Bool {
        try await writeImmediately { db in
            let current = try LeadershipRecord.fetchOne(db, key: record.group)
            guard current?.term == expectedTerm else { return false }
            try record.save(db)
            return true
        }
    }
}
