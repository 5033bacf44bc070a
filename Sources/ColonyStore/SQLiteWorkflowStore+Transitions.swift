import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB

// The engine's hot path: one compare-and-set UPDATE per transition (the WHERE clause holds the
// expected state, so a stale transition changes no row), cached statements, no record coding.
extension SQLiteWorkflowStore {
    static func apply(_ change: RunTransition, at now: Date, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE runs SET status = ?,
                startedAt = CASE WHEN ? AND startedAt IS NULL THEN ? ELSE startedAt END,
                finishedAt = CASE WHEN ? THEN ? ELSE finishedAt END,
                output = COALESCE(?, output), errorCode = COALESCE(?, errorCode), errorMessage = COALESCE(?, errorMessage)
            WHERE id = ? AND status = ?
            """)
        try statement.execute(arguments: [
            change.to.rawValue, change.to == .running, now, change.to.isFinal, now,
            change.output, change.errorCode, change.errorMessage, change.run, change.from.rawValue,
        ])
        guard db.changesCount == 1 else {
            let actual = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [change.run])
            guard let actual else { throw StoreError.runNotFound(change.run) }
            throw StoreError.staleTransition(run: change.run, step: nil, expected: change.from.rawValue, actual: actual)
        }
        try log(TransitionRecord(runID: change.run, change: .run(from: change.from, to: change.to),
                                 detail: change.detail ?? change.errorMessage, at: now), db)
    }

    static func apply(_ change: StepTransition, at now: Date, _ db: Database) throws {
        if let attempt = change.attempt { try save(attempt, db) }
        if let from = change.from {
            let statement: Statement
            var arguments: StatementArguments = [change.to.rawValue, now]
            if let attempt = change.attempt {
                statement = try db.cachedStatement(sql: """
                    UPDATE steps SET status = ?, updatedAt = ?, attempts = MAX(attempts, ?), output = COALESCE(?, output),
                        errorCode = ?, errorMessage = ?
                    WHERE runID = ? AND stepID = ? AND status = ?
                    """)
                arguments += [attempt.attempt, attempt.output, attempt.errorCode, attempt.errorMessage]
            } else {
                statement = try db.cachedStatement(sql: "UPDATE steps SET status = ?, updatedAt = ? WHERE runID = ? AND stepID = ? AND status = ?")
            }
            arguments += [change.run, change.step, from.rawValue]
            try statement.execute(arguments: arguments)
            guard db.changesCount == 1 else {
                let actual = try String.fetchOne(db, sql: "SELECT status FROM steps WHERE runID = ? AND stepID = ?", arguments: [change.run, change.step])
                throw StoreError.staleTransition(run: change.run, step: change.step, expected: from.rawValue, actual: actual)
            }
        } else {
            let existing = try String.fetchOne(db, sql: "SELECT status FROM steps WHERE runID = ? AND stepID = ?", arguments: [change.run, change.step])
            if let existing { throw StoreError.staleTransition(run: change.run, step: change.step, expected: nil, actual: existing) }
            try db.cachedStatement(sql: """
                INSERT INTO steps (runID, stepID, status, attempts, output, errorCode, errorMessage, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    change.run, change.step, change.to.rawValue, change.attempt?.attempt ?? 0, change.attempt?.output,
                    change.attempt?.errorCode, change.attempt?.errorMessage, now,
                ])
        }
        try log(TransitionRecord(runID: change.run, change: .step(change.step, from: change.from, to: change.to), detail: change.detail, at: now), db)
    }

    private static func save(_ attempt: AttemptRecord, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO step_attempts (runID, stepID, attempt, idempotencyKey, agent, input, output, status, errorCode, errorMessage, startedAt, finishedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (runID, stepID, attempt) DO UPDATE SET agent = excluded.agent, output = excluded.output,
                status = excluded.status, errorCode = excluded.errorCode, errorMessage = excluded.errorMessage,
                finishedAt = excluded.finishedAt
            """).execute(arguments: [
                attempt.runID, attempt.stepID, attempt.attempt, attempt.idempotencyKey, attempt.agent, attempt.input, attempt.output,
                attempt.status.rawValue, attempt.errorCode, attempt.errorMessage, attempt.startedAt, attempt.finishedAt,
            ])
    }

    private static func log(_ transition: TransitionRecord, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO transitions (runID, stepID, \"from\", \"to\", detail, at) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [transition.runID, transition.stepID, transition.from, transition.to, transition.detail, transition.at])
    }
}
