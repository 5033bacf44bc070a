import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

extension PostgresWorkflowStore: TriggerStore {
    public func recordFiring(_ firing: FiringRecord) async throws(StoreError) {
        try await transaction { connection in try await self.insert(firing, connection) }
    }

    public func recordFirings(_ firings: [FiringRecord], cursor: JournalCursor) async throws(StoreError) {
        try await transaction { connection in
            for firing in firings { try await self.insert(firing, connection) }
            try await self.store(cursor, connection)
        }
    }

    public func journalCursor() async throws(StoreError) -> JournalCursor? {
        try await read { connection in
            for try await (journal, seq) in try await connection.query(#"SELECT "journal", "seq" FROM trigger_cursor WHERE "id" = 1"#, logger: self.logger)
                .decode((String, Int64).self) {
                return JournalCursor(journal: journal, seq: UInt64(clamping: seq))
            }
            return nil
        }
    }

    public func saveJournalCursor(_ cursor: JournalCursor?) async throws(StoreError) {
        try await transaction { connection in
            if let cursor {
                try await self.store(cursor, connection)
            } else {
                try await connection.query("DELETE FROM trigger_cursor", logger: self.logger)
            }
        }
    }

    public func firings(workflow: String?, limit: Int) async throws(StoreError) -> [FiringRecord] {
        let limit = Int64(max(1, min(limit, 10_000)))
        return try await read { connection in
            try await Self.records(FiringRecord.self, #"""
                SELECT * FROM trigger_firings WHERE (\#(workflow)::text IS NULL OR "workflow" = \#(workflow)::text) ORDER BY "id" DESC LIMIT \#(limit)
                """#, connection, logger: self.logger)
        }
    }

    public func firingSummaries() async throws(StoreError) -> [FiringSummary] {
        try await read { connection in
            var summaries: [String: FiringSummary] = [:]
            var lastIDs: [String: Int64] = [:]
            for try await (workflow, outcome, count, last) in try await connection.query(#"""
                SELECT "workflow", "outcome", COUNT(*), MAX("id") FROM trigger_firings GROUP BY "workflow", "outcome"
                """#, logger: self.logger).decode((String, String, Int64, Int64).self) {
                summaries[workflow, default: FiringSummary(workflow: workflow)].counts[outcome] = Int(count)
                lastIDs[workflow] = max(lastIDs[workflow] ?? 0, last)
            }
            for (workflow, id) in lastIDs {
                summaries[workflow]?.last = try await Self.records(FiringRecord.self, #"SELECT * FROM trigger_firings WHERE "id" = \#(id)"#, connection,
                                                                   logger: self.logger).first
            }
            return summaries.values.sorted { $0.workflow < $1.workflow }
        }
    }

    /// Inserts a firing and keeps the newest `keptPerWorkflow` of its workflow.
    private func insert(_ firing: FiringRecord, _ connection: PostgresConnection) async throws {
        try await Self.insert(firing, into: "trigger_firings", generated: "id", connection, logger: logger)
        let kept = Int64(Self.keptPerWorkflow)
        try await connection.query(#"""
            DELETE FROM trigger_firings WHERE "workflow" = \#(firing.workflow) AND "id" <= (
                SELECT "id" FROM trigger_firings WHERE "workflow" = \#(firing.workflow) ORDER BY "id" DESC LIMIT 1 OFFSET \#(kept))
            """#, logger: logger)
    }

    private func store(_ cursor: JournalCursor, _ connection: PostgresConnection) async throws {
        let seq = Int64(clamping: cursor.seq)
        try await connection.query(#"""
            INSERT INTO trigger_cursor ("id", "journal", "seq") VALUES (1, \#(cursor.journal), \#(seq))
            ON CONFLICT ("id") DO UPDATE SET "journal" = EXCLUDED."journal", "seq" = EXCLUDED."seq"
            """#, logger: logger)
    }
}
