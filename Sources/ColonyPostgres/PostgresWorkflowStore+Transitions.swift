import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

// The engine's hot path, as in SQLite: one compare-and-set UPDATE per transition (the WHERE
// clause holds the expected state, so a stale transition changes no row; a concurrent one waits
// for the row and then finds it changed).
extension PostgresWorkflowStore {
    static func apply(_ change: RunTransition, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        let output = change.output.map { JSONBText($0.jsonText) }
        let rows = try await connection.query(#"""
            UPDATE runs SET "status" = \#(change.to.rawValue),
                "startedAt" = CASE WHEN \#(change.to == .running) AND "startedAt" IS NULL THEN \#(now) ELSE "startedAt" END,
                "finishedAt" = CASE WHEN \#(change.to.isFinal) THEN \#(now) ELSE "finishedAt" END,
                "output" = COALESCE(\#(output), "output"), "errorCode" = COALESCE(\#(change.errorCode?.rawValue), "errorCode"),
                "errorMessage" = COALESCE(\#(change.errorMessage), "errorMessage")
            WHERE "id" = \#(change.run.rawValue) AND "status" = \#(change.from.rawValue)
            RETURNING "id"
            """#, logger: logger)
        var updated = 0
        for try await _ in rows { updated += 1 }
        guard updated == 1 else {
            var actual: String?
            for try await status in try await connection.query(#"SELECT "status" FROM runs WHERE "id" = \#(change.run.rawValue)"#, logger: logger)
                .decode(String.self) { actual = status }
            guard let actual else { throw StoreError.runNotFound(change.run) }
            throw StoreError.staleTransition(run: change.run, step: nil, expected: change.from.rawValue, actual: actual)
        }
        try await log(TransitionRecord(runID: change.run, change: .run(from: change.from, to: change.to),
                                       detail: change.detail ?? change.errorMessage, at: now), connection, logger: logger)
    }

    static func apply(_ change: StepTransition, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        if let attempt = change.attempt {
            try await insert(attempt, into: "step_attempts", onConflict: #"""
                 ON CONFLICT ("runID", "stepID", "attempt") DO UPDATE SET "agent" = EXCLUDED."agent", "output" = EXCLUDED."output",
                    "status" = EXCLUDED."status", "errorCode" = EXCLUDED."errorCode", "errorMessage" = EXCLUDED."errorMessage",
                    "finishedAt" = EXCLUDED."finishedAt"
                """#, connection, logger: logger)
        }
        let run = change.run.rawValue, step = change.step.rawValue
        if let from = change.from {
            let rows: PostgresRowSequence
            if let attempt = change.attempt {
                rows = try await connection.query(#"""
                    UPDATE steps SET "status" = \#(change.to.rawValue), "updatedAt" = \#(now), "attempts" = GREATEST("attempts", \#(Int64(attempt.attempt))),
                        "output" = COALESCE(\#(attempt.output.map { JSONBText($0.jsonText) }), "output"),
                        "errorCode" = \#(attempt.errorCode?.rawValue), "errorMessage" = \#(attempt.errorMessage)
                    WHERE "runID" = \#(run) AND "stepID" = \#(step) AND "status" = \#(from.rawValue)
                    RETURNING "stepID"
                    """#, logger: logger)
            } else {
                rows = try await connection.query(#"""
                    UPDATE steps SET "status" = \#(change.to.rawValue), "updatedAt" = \#(now)
                    WHERE "runID" = \#(run) AND "stepID" = \#(step) AND "status" = \#(from.rawValue)
                    RETURNING "stepID"
                    """#, logger: logger)
            }
            var updated = 0
            for try await _ in rows { updated += 1 }
            guard updated == 1 else {
                throw StoreError.staleTransition(run: change.run, step: change.step, expected: from.rawValue,
                                                 actual: try await status(of: change, connection, logger: logger))
            }
        } else {
            if let existing = try await status(of: change, connection, logger: logger) {
                throw StoreError.staleTransition(run: change.run, step: change.step, expected: nil, actual: existing)
            }
            var record = StepRecord(runID: change.run, stepID: change.step, status: change.to, attempts: change.attempt?.attempt ?? 0, updatedAt: now)
            record.output = change.attempt?.output
            record.errorCode = change.attempt?.errorCode
            record.errorMessage = change.attempt?.errorMessage
            try await insert(record, into: "steps", connection, logger: logger)
        }
        try await log(TransitionRecord(runID: change.run, change: .step(change.step, from: change.from, to: change.to), detail: change.detail, at: now),
                      connection, logger: logger)
    }

    private static func status(of change: StepTransition, _ connection: PostgresConnection, logger: Logger) async throws -> String? {
        var status: String?
        for try await value in try await connection.query(#"""
            SELECT "status" FROM steps WHERE "runID" = \#(change.run.rawValue) AND "stepID" = \#(change.step.rawValue)
            """#, logger: logger).decode(String.self) { status = value }
        return status
    }

    static func log(_ transition: TransitionRecord, _ connection: PostgresConnection, logger: Logger) async throws {
        try await insert(transition, into: "transitions", generated: "sequence", connection, logger: logger)
    }
}
