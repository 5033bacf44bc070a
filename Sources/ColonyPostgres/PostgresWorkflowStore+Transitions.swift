import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation
import PostgresNIO

// The engine's hot path, as in SQLite: one compare-and-set UPDATE per transition (the WHERE
// clause holds the expected state, so a stale transition changes no row; a concurrent one waits
// for the row and then finds it changed). Each transition is one statement — the attempt's row,
// the compare-and-set and the transition's log row as data-modifying CTEs — so one round trip:
// the log row and the attempt are written only with the update (a stale one throws and the
// transaction rolls back).
extension PostgresWorkflowStore {
    static func apply(_ change: RunTransition, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        var statement = Statement()
        let to = try statement.bind(.text(change.to.rawValue)), at = try statement.bind(.date(now))
        let starts = try statement.bind(.boolean(change.to == .running)), ends = try statement.bind(.boolean(change.to.isFinal))
        let output = try statement.bind(change.output.map { .json($0.jsonText) } ?? .null)
        let code = try statement.bind(change.errorCode.map { .text($0.rawValue) } ?? .null)
        let message = try statement.bind(change.errorMessage.map { .text($0) } ?? .null)
        let run = try statement.bind(.text(change.run.rawValue)), from = try statement.bind(.text(change.from.rawValue))
        let record = TransitionRecord(runID: change.run, change: .run(from: change.from, to: change.to), detail: change.detail ?? change.errorMessage, at: now)
        let log = try loggedAfter(record, &statement)
        statement.append("""
            WITH moved AS (
                UPDATE runs SET "status" = \(to),
                    "startedAt" = CASE WHEN \(starts) AND "startedAt" IS NULL THEN \(at) ELSE "startedAt" END,
                    "finishedAt" = CASE WHEN \(ends) THEN \(at) ELSE "finishedAt" END,
                    "output" = COALESCE(\(output)::jsonb, "output"), "errorCode" = COALESCE(\(code), "errorCode"),
                    "errorMessage" = COALESCE(\(message), "errorMessage")
                WHERE "id" = \(run) AND "status" = \(from) RETURNING "id"),
            \(log)
            SELECT count(*) FROM moved
            """)
        guard try await moved(statement, connection, logger: logger) else {
            var actual: String?
            for try await status in try await connection.query(#"SELECT "status" FROM runs WHERE "id" = \#(change.run.rawValue)"#, logger: logger)
                .decode(String.self) { actual = status }
            guard let actual else { throw StoreError.runNotFound(change.run) }
            throw StoreError.staleTransition(run: change.run, step: nil, expected: change.from.rawValue, actual: actual)
        }
    }

    static func apply(_ change: StepTransition, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        guard let from = change.from else { return try await create(change, at: now, connection, logger: logger) }
        var statement = Statement()
        var parts: [String] = []
        if let attempt = change.attempt {
            let columns = try RecordColumns(attempt)
            let values = try statement.bind(columns)
            parts.append("""
                attempt AS (
                    INSERT INTO step_attempts (\(columns.quotedNames)) VALUES (\(values))
                    ON CONFLICT ("runID", "stepID", "attempt") DO UPDATE SET "agent" = EXCLUDED."agent", "output" = EXCLUDED."output",
                        "status" = EXCLUDED."status", "errorCode" = EXCLUDED."errorCode", "errorMessage" = EXCLUDED."errorMessage",
                        "finishedAt" = EXCLUDED."finishedAt", "instance" = COALESCE(EXCLUDED."instance", step_attempts."instance"))
                """)
        }
        let to = try statement.bind(.text(change.to.rawValue)), at = try statement.bind(.date(now))
        let run = try statement.bind(.text(change.run.rawValue)), step = try statement.bind(.text(change.step.rawValue))
        let expected = try statement.bind(.text(from.rawValue))
        var sets = #""status" = \#(to), "updatedAt" = \#(at)"#
        if let attempt = change.attempt {
            let number = try statement.bind(.integer(Int64(attempt.attempt)))
            let output = try statement.bind(attempt.output.map { .json($0.jsonText) } ?? .null)
            let code = try statement.bind(attempt.errorCode.map { .text($0.rawValue) } ?? .null)
            let message = try statement.bind(attempt.errorMessage.map { .text($0) } ?? .null)
            sets += #", "attempts" = GREATEST("attempts", \#(number)), "output" = COALESCE(\#(output)::jsonb, "output"), "errorCode" = \#(code), "errorMessage" = \#(message)"#
        }
        parts.append(#"moved AS (UPDATE steps SET \#(sets) WHERE "runID" = \#(run) AND "stepID" = \#(step) AND "status" = \#(expected) RETURNING "stepID")"#)
        let record = TransitionRecord(runID: change.run, change: .step(change.step, from: from, to: change.to), detail: change.detail, at: now)
        parts.append(try loggedAfter(record, &statement))
        statement.append("WITH " + parts.joined(separator: ",\n") + "\nSELECT count(*) FROM moved")
        guard try await moved(statement, connection, logger: logger) else {
            throw StoreError.staleTransition(run: change.run, step: change.step, expected: from.rawValue,
                                             actual: try await status(of: change, connection, logger: logger))
        }
    }

    /// A step's first row (a transition without a `from`): refused if the step has one already.
    private static func create(_ change: StepTransition, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        if let attempt = change.attempt {
            try await insert(attempt, into: "step_attempts", onConflict: #"""
                 ON CONFLICT ("runID", "stepID", "attempt") DO UPDATE SET "agent" = EXCLUDED."agent", "output" = EXCLUDED."output",
                    "status" = EXCLUDED."status", "errorCode" = EXCLUDED."errorCode", "errorMessage" = EXCLUDED."errorMessage",
                    "finishedAt" = EXCLUDED."finishedAt", "instance" = COALESCE(EXCLUDED."instance", step_attempts."instance")
                """#, connection, logger: logger)
        }
        if let existing = try await status(of: change, connection, logger: logger) {
            throw StoreError.staleTransition(run: change.run, step: change.step, expected: nil, actual: existing)
        }
        var record = StepRecord(runID: change.run, stepID: change.step, status: change.to, attempts: change.attempt?.attempt ?? 0, updatedAt: now)
        record.output = change.attempt?.output
        record.errorCode = change.attempt?.errorCode
        record.errorMessage = change.attempt?.errorMessage
        try await insert(record, into: "steps", connection, logger: logger)
        try await log(TransitionRecord(runID: change.run, change: .step(change.step, from: nil, to: change.to), detail: change.detail, at: now),
                      connection, logger: logger)
    }

    /// `logged AS (INSERT INTO transitions … SELECT … FROM moved)`: the log row, written only
    /// when the compare-and-set moved a row.
    private static func loggedAfter(_ record: TransitionRecord, _ statement: inout Statement) throws -> String {
        let columns = try RecordColumns(record).without(["sequence"])
        let values = try statement.bind(columns)
        return "logged AS (INSERT INTO transitions (\(columns.quotedNames)) SELECT \(values) FROM moved)"
    }

    /// Runs a transition's statement; whether its compare-and-set moved the row.
    private static func moved(_ statement: Statement, _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await count in try await connection.query(statement.query, logger: logger).decode(Int64.self) { return count == 1 }
        return false
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
