import ColonyWorkflow
import Foundation
import GRDB
import ColonyCore

extension SQLiteWorkflowStore: ScheduleStore {
    public func ensureSchedule(_ record: ScheduleRecord) async throws(StoreError) -> ScheduleRecord {
        try await write { db in
            if var existing = try ScheduleRecord.fetchOne(db, key: record.name) {
                if existing.workflow != record.workflow || existing.source != record.source || existing.origin != record.origin {
                    existing.workflow = record.workflow
                    existing.source = record.source
                    existing.origin = record.origin
                    try existing.update(db)
                }
                return existing
            }
            try record.insert(db)
            return record
        }
    }

    public func schedules() async throws(StoreError) -> [ScheduleRecord] {
        try await read { db in try ScheduleRecord.order(ScheduleRecord.Columns.name).fetchAll(db) }
    }

    public func removeSchedule(_ name: String) async throws(StoreError) {
        try await write { db in _ = try ScheduleRecord.deleteOne(db, key: name) }
    }

    public func setPaused(_ name: String, paused: Bool, reason: String?) async throws(StoreError) {
        try await write { db in
            guard var record = try ScheduleRecord.fetchOne(db, key: name) else { throw StoreError.scheduleNotFound(name) }
            record.paused = paused
            record.pausedReason = paused ? reason : nil
            if !paused { record.consecutiveFailures = 0 }
            try record.update(db)
        }
    }

    public func updateSchedule(_ name: String, lastTick: Date?, consecutiveFailures: Int?) async throws(StoreError) {
        try await write { db in
            guard var record = try ScheduleRecord.fetchOne(db, key: name) else { throw StoreError.scheduleNotFound(name) }
            if let lastTick, record.lastTick.map({ lastTick > $0 }) ?? true { record.lastTick = lastTick }
            if let consecutiveFailures { record.consecutiveFailures = consecutiveFailures }
            try record.update(db)
        }
    }

    public func recordTick(_ tick: TickRecord) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO schedule_ticks (schedule, scheduledAt, outcome, reason, runID, decidedAt, startedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (schedule, scheduledAt) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,
                    runID = COALESCE(excluded.runID, runID), decidedAt = excluded.decidedAt, startedAt = COALESCE(excluded.startedAt, startedAt)
                """, arguments: [tick.schedule, tick.scheduledAt, tick.outcome, tick.reason, tick.runID, tick.decidedAt, tick.startedAt])
        }
    }

    public func ticks(schedule: String?, outcome: TickOutcome?, limit: Int) async throws(StoreError) -> [TickRecord] {
        try await read { db in
            var request = TickRecord.all()
            if let schedule { request = request.filter(TickRecord.Columns.schedule == schedule) }
            if let outcome { request = request.filter(TickRecord.Columns.outcome == outcome) }
            return try request.order(TickRecord.Columns.scheduledAt.desc).limit(limit).fetchAll(db)
        }
    }

    public func runs(schedule: String, statuses: [RunStatus], latest: Int?) async throws(StoreError) -> [RunRecord] {
        try await read { db in
            let request = RunRecord.filter(RunRecord.Columns.scheduleID == schedule && statuses.contains(RunRecord.Columns.status))
            guard let latest else { return try request.order(RunRecord.Columns.scheduledAt).fetchAll(db) }
            return try request.order(RunRecord.Columns.scheduledAt.desc).limit(latest).fetchAll(db).reversed()
        }
    }

    public func acquireLease(_ name: String, holder: String, duration: Duration, now: Date) async throws(StoreError) -> Int64? {
        let expiresAt = now.addingTimeInterval(duration.seconds)
        return try await writeImmediately(fenced: false) { db in
            if var lease = try LeaseRecord.fetchOne(db, key: name) {
                if lease.holder != holder && lease.expiresAt > now { return nil }
                if lease.holder != holder { lease.term += 1 }
                lease.holder = holder
                lease.expiresAt = expiresAt
                try lease.update(db)
                return lease.term
            }
            try LeaseRecord(name: name, holder: holder, term: 1, expiresAt: expiresAt).insert(db)
            return 1
        }
    }

    public func lease(_ name: String) async throws(StoreError) -> LeaseRecord? {
        try await read { db in try LeaseRecord.fetchOne(db, key: name) }
    }

    public func releaseLease(_ name: String, holder: String) async throws(StoreError) {
        _ = try await writeImmediately(fenced: false) { db in
            // Expired, not deleted: the next holder's term is still one more than this one's.
            try db.execute(sql: "UPDATE leases SET expiresAt = ? WHERE name = ? AND holder = ?",
                           arguments: [Date.distantPast, name, holder])
        }
    }
}
