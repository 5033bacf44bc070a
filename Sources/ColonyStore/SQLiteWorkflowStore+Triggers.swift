import ColonyCore
import Foundation
import GRDB

extension SQLiteWorkflowStore: TriggerStore {
    public func recordFiring(_ firing: FiringRecord) async throws(StoreError) {
        try await write { db in try Self.insert(firing, db) }
    }

    public func recordFirings(_ firings: [FiringRecord], cursor: JournalCursor) async throws(StoreError) {
        try await write { db in
            for firing in firings { try Self.insert(firing, db) }
            try Self.store(cursor, db)
        }
    }

    public func journalCursor() async throws(StoreError) -> JournalCursor? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT journal, seq FROM trigger_cursor WHERE id = 1").map { row in
                JournalCursor(journal: row["journal"], seq: UInt64(clamping: row["seq"] as Int64))
            }
        }
    }

    public func saveJournalCursor(_ cursor: JournalCursor?) async throws(StoreError) {
        try await write { db in
            if let cursor { try Self.store(cursor, db) } else { try db.execute(sql: "DELETE FROM trigger_cursor") }
        }
    }

    private static func store(_ cursor: JournalCursor, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO trigger_cursor (id, journal, seq) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET journal = excluded.journal, seq = excluded.seq",
                       arguments: [cursor.journal, Int64(clamping: cursor.seq)])
    }

    /// Inserts a firing and keeps the newest `keptPerWorkflow` of its workflow (one indexed delete).
    private static func insert(_ firing: FiringRecord, _ db: Database) throws {
        var record = firing
        try record.insert(db)
        try db.execute(sql: """
            DELETE FROM trigger_firings WHERE workflow = ? AND id <= (
                SELECT id FROM trigger_firings WHERE workflow = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
            """, arguments: [firing.workflow, firing.workflow, keptPerWorkflow])
    }

    public func firings(workflow: String?, limit: Int) async throws(StoreError) -> [FiringRecord] {
        try await read { db in
            var request = FiringRecord.all()
            if let workflow { request = request.filter(Column("workflow") == workflow) }
            return try request.order(Column("id").desc).limit(max(1, min(limit, 10_000))).fetchAll(db)
        }
    }

    public func firingSummaries() async throws(StoreError) -> [FiringSummary] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT workflow, outcome, COUNT(*) AS n, MAX(id) AS last FROM trigger_firings GROUP BY workflow, outcome")
            var summaries: [String: FiringSummary] = [:]
            var lastIDs: [String: Int64] = [:]
            for row in rows {
                let workflow: String = row["workflow"], outcome: String = row["outcome"], count: Int = row["n"], last: Int64 = row["last"]
                summaries[workflow, default: FiringSummary(workflow: workflow, counts: [:], last: nil)].counts[outcome] = count
                lastIDs[workflow] = max(lastIDs[workflow] ?? 0, last)
            }
            for (workflow, id) in lastIDs { summaries[workflow]?.last = try FiringRecord.fetchOne(db, key: id) }
            return summaries.values.sorted { $0.workflow < $1.workflow }
        }
    }
}
