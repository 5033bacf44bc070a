import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

extension PostgresWorkflowStore: CoordinationStore {
    public func leadership(of group: GroupName) async throws(StoreError) -> LeadershipRecord? {
        try await read { connection in
            try await Self.records(LeadershipRecord.self, #"SELECT * FROM leaderships WHERE "group" = \#(group.rawValue)"#, connection,
                                   logger: self.logger).first
        }
    }

    public func leaderships() async throws(StoreError) -> [LeadershipRecord] {
        try await read { connection in
            try await Self.records(LeadershipRecord.self, #"SELECT * FROM leaderships ORDER BY "group" COLLATE "C""#, connection, logger: self.logger)
        }
    }

    public func saveLeadership(_ record: LeadershipRecord, expectedTerm: Int64?) async throws(StoreError) -> Bool {
        try await transaction { connection in
            // The row is locked while the term is compared, so two coordinators cannot both move it.
            var current: Int64?
            var exists = false
            for try await term in try await connection.query(#"""
                SELECT "term" FROM leaderships WHERE "group" = \#(record.group.rawValue) FOR UPDATE
                """#, logger: self.logger).decode(Int64.self) {
                current = term
                exists = true
            }
            guard current == expectedTerm else { return false }
            if exists {
                try await Self.upsert(record, into: "leaderships", key: ["group"], connection, logger: self.logger)
            } else {
                do {
                    try await Self.insert(record, into: "leaderships", connection, logger: self.logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    return false
                }
            }
            return true
        }
    }

    public func round(_ id: String) async throws(StoreError) -> RoundRecord? {
        try await read { connection in
            try await Self.records(RoundRecord.self, #"SELECT * FROM coordination_rounds WHERE "id" = \#(id)"#, connection, logger: self.logger).first
        }
    }

    public func saveRound(_ record: RoundRecord) async throws(StoreError) {
        try await transaction { connection in
            try await Self.upsert(record, into: "coordination_rounds", key: ["id"], connection, logger: self.logger)
        }
    }

    public func rounds(group: GroupName, limit: Int) async throws(StoreError) -> [RoundRecord] {
        try await read { connection in
            try await Self.records(RoundRecord.self, #"""
                SELECT * FROM coordination_rounds WHERE "group" = \#(group.rawValue) ORDER BY "openedAt" DESC LIMIT \#(Int64(limit))
                """#, connection, logger: self.logger)
        }
    }
}
