import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB

// The engine's hot path: one compare-and-set UPDATE per transition (the WHERE clause holds the
// expected state, so a stale transition changes no row), prepared once, bound through SQLite's
// C API (HotStatement), dates as text made without ICU (`Date.databaseText`).
extension SQLiteWorkflowStore {
    static func apply(_ change: RunTransition, at now: Date, _ db: Database, _ statements: HotStatementCache?, log: inout TransitionLog) throws {
        let stamp = now.databaseText
        let changed = try HotStatement("""
            UPDATE runs SET status = ?,
                startedAt = CASE WHEN ? AND startedAt IS NULL THEN ? ELSE startedAt END,
                finishedAt = CASE WHEN ? THEN ? ELSE finishedAt END,
                output = COALESCE(?, output), errorCode = COALESCE(?, errorCode), errorMessage = COALESCE(?, errorMessage)
            WHERE id = ? AND status = ?
            """, db, statements).execute(
            .text(change.to.rawValue), .flag(change.to == .running), .text(stamp), .flag(change.to.isFinal), .text(stamp),
            .text(change.output?.jsonText), .text(change.errorCode?.rawValue), .text(change.errorMessage),
            .text(change.run.rawValue), .text(change.from.rawValue)
        )
        guard changed == 1 else {
            let actual = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [change.run])
            guard let actual else { throw StoreError.runNotFound(change.run) }
            throw StoreError.staleTransition(run: change.run, step: nil, expected: change.from.rawValue, actual: actual)
        }
        log.append(change.run, step: nil, from: change.from.rawValue, to: change.to.rawValue, detail: change.detail ?? change.errorMessage, at: stamp)
    }

    static func apply(_ change: StepTransition, at now: Date, _ db: Database, _ statements: HotStatementCache?, log: inout TransitionLog) throws {
        let stamp = now.databaseText
        if let attempt = change.attempt { try save(attempt, db, statements) }
        if let from = change.from {
            let changed: Int
            if let attempt = change.attempt {
                changed = try HotStatement("""
                    UPDATE steps SET status = ?, updatedAt = ?, attempts = MAX(attempts, ?), output = COALESCE(?, output),
                        errorCode = ?, errorMessage = ?
                    WHERE runID = ? AND stepID = ? AND status = ?
                    """, db, statements).execute(
                    .text(change.to.rawValue), .text(stamp), .integer(Int64(attempt.attempt)), .text(attempt.output?.jsonText),
                    .text(attempt.errorCode?.rawValue), .text(attempt.errorMessage),
                    .text(change.run.rawValue), .text(change.step.rawValue), .text(from.rawValue)
                )
            } else {
                changed = try HotStatement("UPDATE steps SET status = ?, updatedAt = ? WHERE runID = ? AND stepID = ? AND status = ?", db, statements)
                    .execute(.text(change.to.rawValue), .text(stamp), .text(change.run.rawValue), .text(change.step.rawValue), .text(from.rawValue))
            }
            guard changed == 1 else {
                let actual = try String.fetchOne(db, sql: "SELECT status FROM steps WHERE runID = ? AND stepID = ?", arguments: [change.run, change.step])
                throw StoreError.staleTransition(run: change.run, step: change.step, expected: from.rawValue, actual: actual)
            }
        } else {
            let existing = try String.fetchOne(db, sql: "SELECT status FROM steps WHERE runID = ? AND stepID = ?", arguments: [change.run, change.step])
            if let existing { throw StoreError.staleTransition(run: change.run, step: change.step, expected: nil, actual: existing) }
            var row = StepRecord(runID: change.run, stepID: change.step, status: change.to, attempts: change.attempt?.attempt ?? 0, updatedAt: now)
            row.output = change.attempt?.output
            row.errorCode = change.attempt?.errorCode
            row.errorMessage = change.attempt?.errorMessage
            try insert(row, updatedAt: stamp, db, statements)
        }
        log.append(change.run, step: change.step, from: change.from?.rawValue, to: change.to.rawValue, detail: change.detail, at: stamp)
    }

    /// A step's row, bound directly (a new run inserts one per step; `updatedAt` as database text).
    static func insert(_ step: StepRecord, updatedAt stamp: String, _ db: Database, _ statements: HotStatementCache? = nil) throws {
        try HotStatement("""
            INSERT INTO steps (runID, stepID, status, attempts, output, errorCode, errorMessage, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, db, statements).execute(
            .text(step.runID.rawValue), .text(step.stepID.rawValue), .text(step.status.rawValue), .integer(Int64(step.attempts)),
            .text(step.output?.jsonText), .text(step.errorCode?.rawValue), .text(step.errorMessage), .text(stamp)
        )
    }

    /// Which agent instance the broker gave an attempt to.
    static func recordInstance(_ instance: InstanceID, run: RunID, step: StepID, attempt: Int, _ db: Database, _ statements: HotStatementCache?) throws {
        try HotStatement("UPDATE step_attempts SET instance = ? WHERE runID = ? AND stepID = ? AND attempt = ?", db, statements)
            .execute(.text(instance.rawValue), .text(run.rawValue), .text(step.rawValue), .integer(Int64(attempt)))
    }

    private static func save(_ attempt: AttemptRecord, _ db: Database, _ statements: HotStatementCache?) throws {
        // An attempt that ended was stored when it started: an UPDATE, cheaper than the upsert.
        if attempt.finishedAt != nil {
            let updated = try HotStatement("""
                UPDATE step_attempts SET agent = ?, output = ?, status = ?, errorCode = ?, errorMessage = ?, finishedAt = ?,
                    instance = COALESCE(?, instance)
                WHERE runID = ? AND stepID = ? AND attempt = ?
                """, db, statements).execute(
                .text(attempt.agent), .text(attempt.output?.jsonText), .text(attempt.status.rawValue), .text(attempt.errorCode?.rawValue),
                .text(attempt.errorMessage), .text(attempt.finishedAt?.databaseText), .text(attempt.instance?.rawValue),
                .text(attempt.runID.rawValue), .text(attempt.stepID.rawValue), .integer(Int64(attempt.attempt))
            )
            if updated == 1 { return }
        }
        try HotStatement("""
            INSERT INTO step_attempts (runID, stepID, attempt, idempotencyKey, agent, input, output, status, errorCode, errorMessage, startedAt, finishedAt, instance)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (runID, stepID, attempt) DO UPDATE SET agent = excluded.agent, output = excluded.output,
                status = excluded.status, errorCode = excluded.errorCode, errorMessage = excluded.errorMessage,
                finishedAt = excluded.finishedAt, instance = COALESCE(excluded.instance, instance)
            """, db, statements).execute(
            .text(attempt.runID.rawValue), .text(attempt.stepID.rawValue), .integer(Int64(attempt.attempt)), .text(attempt.idempotencyKey),
            .text(attempt.agent), .text(attempt.input.jsonText), .text(attempt.output?.jsonText), .text(attempt.status.rawValue),
            .text(attempt.errorCode?.rawValue), .text(attempt.errorMessage), .text(attempt.startedAt.databaseText), .text(attempt.finishedAt?.databaseText),
            .text(attempt.instance?.rawValue)
        )
    }
}

/// A batch's rows for the transition log, written together at its end: several rows to a
/// statement instead of one statement each (a chain step logs two, a wide batch dozens).
/// Their order, and so their sequence numbers, is the order they were appended in.
struct TransitionLog {
    /// Six values a row, rows one after the other.
    private var values: [HotStatement.Value] = []
    private static let columns = 6

    mutating func append(_ run: RunID, step: StepID?, from: String?, to: String, detail: String?, at stamp: String) {
        values += [.text(run.rawValue), .text(step?.rawValue), .text(from), .text(to), .text(detail), .text(stamp)]
    }

    /// Rows per statement at most: the statements for 1…8 rows are prepared once each.
    static let rowsPerStatement = 8

    func write(_ db: Database, _ statements: HotStatementCache?) throws {
        var start = 0
        while start < values.count {
            let end = min(start + Self.rowsPerStatement * Self.columns, values.count)
            try HotStatement(Self.inserts[(end - start) / Self.columns - 1], db, statements).execute(Array(values[start..<end]))
            start = end
        }
    }

    private static let inserts: [String] = (1...rowsPerStatement).map { count in
        "INSERT INTO transitions (runID, stepID, \"from\", \"to\", detail, at) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }
}
