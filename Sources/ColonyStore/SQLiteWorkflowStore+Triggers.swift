import ColonyCore
import Foundation
import GRDB

extension SQLiteWorkflowStore: TriggerStore {
    public func recordFiring(_ firing: FiringRecord) async throws(StoreError) {
        let kept = Self.keptPerWorkflow
        try await write { db in
            var record = firing
            try record.insert(db)
            // Keep the newest `kept` of this workflow: one indexed delete per firing.
            try db.execute(sql: """
                DELETE FROM trigger_firings WHERE workflow = ? AND id <= (
                    SELECT id FROM trigger_firings WHERE workflow = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                """, arguments: [firing.workflow, firing.workflow, kept])
        }
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
