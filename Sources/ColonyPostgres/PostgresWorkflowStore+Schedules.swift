import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

extension PostgresWorkflowStore: ScheduleStore {
    public func ensureSchedule(_ record: ScheduleRecord) async throws(StoreError) -> ScheduleRecord {
        try await transaction { connection in
            try await Self.insert(record, into: "schedules", onConflict: #" ON CONFLICT ("name") DO NOTHING"#, connection, logger: self.logger)
            try await connection.query(#"""
                UPDATE schedules SET "workflow" = \#(record.workflow), "source" = \#(record.source), "origin" = \#(record.origin.rawValue)
                WHERE "name" = \#(record.name) AND ("workflow" <> \#(record.workflow) OR "source" IS DISTINCT FROM \#(record.source)
                    OR "origin" <> \#(record.origin.rawValue))
                """#, logger: self.logger)
            guard let stored = try await Self.records(ScheduleRecord.self, #"SELECT * FROM schedules WHERE "name" = \#(record.name)"#, connection,
                                                      logger: self.logger).first else {
                throw StoreError.scheduleNotFound(record.name)
            }
            return stored
        }
    }

    public func schedules() async throws(StoreError) -> [ScheduleRecord] {
        try await read { connection in
            try await Self.records(ScheduleRecord.self, #"SELECT * FROM schedules ORDER BY "name" COLLATE "C""#, connection, logger: self.logger)
        }
    }

    public func removeSchedule(_ name: String) async throws(StoreError) {
        try await transaction { connection in
            try await connection.query(#"DELETE FROM schedules WHERE "name" = \#(name)"#, logger: self.logger)
        }
    }

    public func setPaused(_ name: String, paused: Bool, reason: String?) async throws(StoreError) {
        try await transaction { connection in
            let reason = paused ? reason : nil
            let rows = try await connection.query(#"""
                UPDATE schedules SET "paused" = \#(paused), "pausedReason" = \#(reason),
                    "consecutiveFailures" = CASE WHEN \#(paused) THEN "consecutiveFailures" ELSE 0 END
                WHERE "name" = \#(name) RETURNING "name"
                """#, logger: self.logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw StoreError.scheduleNotFound(name) }
        }
    }

    public func updateSchedule(_ name: String, lastTick: Date?, consecutiveFailures: Int?) async throws(StoreError) {
        try await transaction { connection in
            let failures = consecutiveFailures.map(Int64.init)
            let rows = try await connection.query(#"""
                UPDATE schedules SET
                    "lastTick" = CASE WHEN \#(lastTick)::timestamptz IS NOT NULL AND ("lastTick" IS NULL OR \#(lastTick)::timestamptz > "lastTick")
                        THEN \#(lastTick)::timestamptz ELSE "lastTick" END,
                    "consecutiveFailures" = COALESCE(\#(failures)::bigint, "consecutiveFailures")
                WHERE "name" = \#(name) RETURNING "name"
                """#, logger: self.logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw StoreError.scheduleNotFound(name) }
        }
    }

    public func recordTick(_ tick: TickRecord) async throws(StoreError) {
        try await transaction { connection in
            try await Self.insert(tick, into: "schedule_ticks", generated: "id", onConflict: #"""
                 ON CONFLICT ("schedule", "scheduledAt") DO UPDATE SET "outcome" = EXCLUDED."outcome", "reason" = EXCLUDED."reason",
                    "runID" = COALESCE(EXCLUDED."runID", schedule_ticks."runID"), "decidedAt" = EXCLUDED."decidedAt",
                    "startedAt" = COALESCE(EXCLUDED."startedAt", schedule_ticks."startedAt")
                """#, connection, logger: self.logger)
        }
    }

    public func ticks(schedule: String?, outcome: TickOutcome?, limit: Int) async throws(StoreError) -> [TickRecord] {
        try await read { connection in
            try await Self.records(TickRecord.self, #"""
                SELECT * FROM schedule_ticks WHERE (\#(schedule)::text IS NULL OR "schedule" = \#(schedule)::text)
                    AND (\#(outcome?.rawValue)::text IS NULL OR "outcome" = \#(outcome?.rawValue)::text)
                ORDER BY "scheduledAt" DESC LIMIT \#(Int64(limit))
                """#, connection, logger: self.logger)
        }
    }

    public func runs(schedule: String, statuses: [RunStatus], latest: Int?) async throws(StoreError) -> [RunRecord] {
        let names = statuses.map(\.rawValue)
        return try await read { connection in
            guard let latest else {
                return try await Self.records(RunRecord.self, #"""
                    SELECT * FROM runs WHERE "scheduleID" = \#(schedule) AND "status" = ANY(\#(names)) ORDER BY "scheduledAt"
                    """#, connection, logger: self.logger)
            }
            return try await Self.records(RunRecord.self, #"""
                SELECT * FROM runs WHERE "scheduleID" = \#(schedule) AND "status" = ANY(\#(names)) ORDER BY "scheduledAt" DESC LIMIT \#(Int64(latest))
                """#, connection, logger: self.logger).reversed()
        }
    }

    // MARK: The lease, on the database's clock

    /// Takes or renews the lease with the expiry computed from the database's clock (`now()`),
    /// so hosts whose clocks disagree still agree on when it lapses; `now` is not used.
    public func acquireLease(_ name: String, holder: String, duration: Duration, now: Date) async throws(StoreError) -> Int64? {
        let milliseconds = Int64(duration.milliseconds.rounded())
        return try await transaction(fenced: false) { connection in
            let rows = try await connection.query(#"""
                INSERT INTO leases ("name", "holder", "term", "expiresAt")
                VALUES (\#(name), \#(holder), 1, clock_timestamp() + \#(milliseconds) * interval '1 millisecond')
                ON CONFLICT ("name") DO UPDATE SET
                    "term" = CASE WHEN leases."holder" = EXCLUDED."holder" THEN leases."term" ELSE leases."term" + 1 END,
                    "holder" = EXCLUDED."holder", "expiresAt" = EXCLUDED."expiresAt"
                WHERE leases."holder" = EXCLUDED."holder" OR leases."expiresAt" <= clock_timestamp()
                RETURNING "term"
                """#, logger: self.logger)
            var term: Int64?
            for try await value in rows.decode(Int64.self) { term = value }
            return term
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws(StoreError) {
        try await transaction(fenced: false) { connection in
            // Expired, not deleted: the next holder's term is still one more than this one's.
            try await connection.query(#"""
                UPDATE leases SET "expiresAt" = 'epoch' WHERE "name" = \#(name) AND "holder" = \#(holder)
                """#, logger: self.logger)
        }
    }

    public func lease(_ name: String) async throws(StoreError) -> LeaseRecord? {
        try await read { connection in
            try await Self.records(LeaseRecord.self, #"SELECT * FROM leases WHERE "name" = \#(name)"#, connection, logger: self.logger).first
        }
    }
}
