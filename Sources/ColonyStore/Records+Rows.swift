import ColonyCore
import Foundation
import GRDB

// A run's snapshot reads one row per step, per attempt and per transition: thousands for a long
// run. Decoded through Codable, each row cost ~44,000 instructions, SQLite's part included (a
// 1000-step run's snapshot ~20 ms). Here each column is read by its index as text, an integer
// or a date (SQLite's C API underneath), and typed from that: no lookup by name and no generic
// conversion, whose run-time metadata lookups were half of what was left. Each record names
// the columns its requests select, in the order its `init(row:)` reads them, so an index
// always means the same column; that order is also the table's own (`SnapshotRowTests` keeps
// them equal), so a `SELECT *` reads right too.

extension StepRecord {
    /// The columns every request for steps selects, in the order `init(row:)` reads them.
    public static var databaseSelection: [any SQLSelectable] {
        [Columns.runID, Columns.stepID, Column("status"), Column("attempts"), Column("output"),
         Column("errorCode"), Column("errorMessage"), Column("updatedAt")]
    }

    public init(row: Row) throws {
        self.init(runID: try row.identifier(0), stepID: try row.identifier(1), status: try row.known(2, "status"),
                  attempts: try row.decode(atIndex: 3), updatedAt: try row.decode(atIndex: 7))
        output = try row.json(4, "output")
        errorCode = try row.text(5).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(6)
    }
}

extension AttemptRecord {
    /// The columns every request for attempts selects, in the order `init(row:)` reads them.
    public static var databaseSelection: [any SQLSelectable] {
        [Columns.runID, Column("stepID"), Columns.attempt, Column("idempotencyKey"), Column("agent"), Column("input"),
         Column("output"), Column("status"), Column("errorCode"), Column("errorMessage"), Columns.startedAt,
         Column("finishedAt"), Column("instance")]
    }

    public init(row: Row) throws {
        guard let input = try row.json(5, "input") else { throw StoreError.database("the column 'input' is NULL") }
        self.init(runID: try row.identifier(0), stepID: try row.identifier(1), attempt: try row.decode(atIndex: 2),
                  idempotencyKey: try row.decode(atIndex: 3), input: input, startedAt: try row.decode(atIndex: 10))
        agent = try row.text(4)
        output = try row.json(6, "output")
        status = try row.known(7, "status")
        errorCode = try row.text(8).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(9)
        finishedAt = try row.decode(atIndex: 11)
        instance = try row.text(12).map(InstanceID.init(rawValue:))
    }
}

extension TransitionRecord {
    /// The columns every request for transitions selects, in the order `init(row:)` reads them.
    public static var databaseSelection: [any SQLSelectable] {
        [Columns.sequence, Columns.runID, Column("stepID"), Column("from"), Column("to"), Column("detail"), Column("at")]
    }

    public init(row: Row) throws {
        self.init(sequence: try row.decode(atIndex: 0), runID: try row.identifier(1), stepID: try row.text(2).map(StepID.init(rawValue:)),
                  from: try row.text(3), to: try row.decode(atIndex: 4), detail: try row.text(5), at: try row.decode(atIndex: 6))
    }
}

extension StoreError {
    /// A stored value this version cannot read back (a status it does not know, JSON that does
    /// not parse): the read fails with the column and the value named.
    static func unreadable(column: String, value: String) -> StoreError {
        .database("the column '\(column)' holds '\(value)', which this version cannot read")
    }
}

/// Stored texts typed, for every store's reader (SQLite's rows here, PostgreSQL's in its own
/// module): a value this version cannot read fails the read with its column and value named.
package enum StoredText {
    /// JSON text parsed, or nil for NULL.
    package static func json(_ text: String?, column: String) throws(StoreError) -> JSONValue? {
        guard let text else { return nil }
        guard let value = JSONValue(parsing: text.utf8) else { throw .unreadable(column: column, value: String(text.prefix(64))) }
        return value
    }

    /// A status (or any closed set of values stored as text) this version knows.
    package static func known<Value: RawRepresentable<String>>(_ text: String, column: String) throws(StoreError) -> Value {
        guard let value = Value(rawValue: text) else { throw .unreadable(column: column, value: text) }
        return value
    }
}

extension Row {
    /// The text at `index`, or nil for NULL.
    fileprivate func text(_ index: Int) throws -> String? {
        try decode(String?.self, atIndex: index)
    }

    fileprivate func identifier<Kind>(_ index: Int) throws -> Identifier<Kind> {
        Identifier(rawValue: try decode(String.self, atIndex: index))
    }

    /// JSON text parsed, or nil for NULL.
    fileprivate func json(_ index: Int, _ column: String) throws -> JSONValue? {
        try StoredText.json(try text(index), column: column)
    }

    /// A status (or any closed set of values stored as text) this version knows.
    fileprivate func known<Value: RawRepresentable<String>>(_ index: Int, _ column: String) throws -> Value {
        try StoredText.known(try decode(String.self, atIndex: index), column: column)
    }
}
