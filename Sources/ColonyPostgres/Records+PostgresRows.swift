import ColonyCore
import ColonyStore
import Foundation
import PostgresNIO

// A run's snapshot reads one row per step, per attempt and per transition: thousands for a long
// run. Through Codable (`RecordDecoder`) every column was found by its name and converted through
// generic code. Here, as in the SQLite store (`Records+Rows.swift`), each record names the
// columns its snapshot query selects, in the order its initializer reads them by index, and types
// them itself: a value this version cannot read fails the read with its column named.

extension StepRecord {
    /// The columns the snapshot selects, in the order `init(postgres:)` reads them.
    static let postgresColumns = #""runID", "stepID", "status", "attempts", "output", "errorCode", "errorMessage", "updatedAt""#

    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(runID: try row.identifier(0), stepID: try row.identifier(1), status: try row.known(2, "status"),
                  attempts: try row.integer(3), updatedAt: try row.value(7))
        output = try row.json(4, "output")
        errorCode = try row.text(5).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(6)
    }
}

extension AttemptRecord {
    /// The columns the snapshot selects, in the order `init(postgres:)` reads them.
    static let postgresColumns = #""runID", "stepID", "attempt", "idempotencyKey", "agent", "input", "output", "status", "#
        + #""errorCode", "errorMessage", "startedAt", "finishedAt", "instance""#

    init(postgres row: PostgresRandomAccessRow) throws {
        guard let input = try row.json(5, "input") else { throw StoreError.database("the column 'input' is NULL") }
        self.init(runID: try row.identifier(0), stepID: try row.identifier(1), attempt: try row.integer(2),
                  idempotencyKey: try row.required(3), input: input, startedAt: try row.value(10))
        agent = try row.text(4)
        output = try row.json(6, "output")
        status = try row.known(7, "status")
        errorCode = try row.text(8).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(9)
        finishedAt = try row.value(11)
        instance = try row.text(12).map(InstanceID.init(rawValue:))
    }
}

extension TransitionRecord {
    /// The columns the snapshot selects, in the order `init(postgres:)` reads them.
    static let postgresColumns = #""sequence", "runID", "stepID", "from", "to", "detail", "at""#

    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(sequence: try row.value(0), runID: try row.identifier(1), stepID: try row.text(2).map(StepID.init(rawValue:)),
                  from: try row.text(3), to: try row.required(4), detail: try row.text(5), at: try row.value(6))
    }
}

extension PostgresRandomAccessRow {
    /// The value at `index` as `T`; a cell that is not one (a schema this version does not know)
    /// fails the read with the column named, where PostgresNIO's own error names none.
    fileprivate func value<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        let cell = self[index]
        do {
            return try cell.decode(T.self)
        } catch {
            throw StoreError.database("the column '\(cell.columnName)' (\(cell.dataType)) cannot be read as \(T.self)")
        }
    }

    /// The text (or JSONB's text) at `index`, or nil for NULL.
    fileprivate func text(_ index: Int) throws -> String? {
        try value(index)
    }

    fileprivate func required(_ index: Int) throws -> String {
        try value(index)
    }

    fileprivate func identifier<Kind>(_ index: Int) throws -> Identifier<Kind> {
        Identifier(rawValue: try required(index))
    }

    fileprivate func integer(_ index: Int) throws -> Int {
        Int(clamping: try value(index, as: Int64.self))
    }

    /// JSON text parsed, or nil for NULL.
    fileprivate func json(_ index: Int, _ column: String) throws -> JSONValue? {
        try StoredText.json(try text(index), column: column)
    }

    /// A status (or any closed set of values stored as text) this version knows.
    fileprivate func known<Value: RawRepresentable<String>>(_ index: Int, _ column: String) throws -> Value {
        try StoredText.known(try required(index), column: column)
    }
}
