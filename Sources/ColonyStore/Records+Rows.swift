import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB

// A run's snapshot reads one row per step, per attempt and per transition: thousands for a long
// run. Decoded through Codable, each row cost ~44,000 instructions, SQLite's part included (a
// 1000-step run's snapshot ~20 ms). Here each column is read by its index as text, an integer
// or a date, and typed from that: no lookup by name and no generic conversion, whose run-time
// metadata lookups were half of what was left. Each record names the columns it reads
// (`storedColumns`), in the order its `init(stored:)` reads them, and both stores select exactly
// those: SQLite's requests through `databaseSelection`, PostgreSQL's snapshot query by name. In
// SQLite that order is also the table's own (`SnapshotRowTests` keeps them equal), so a
// `SELECT *` reads right too.

/// A row of one of the run tables, read by column index, whichever database it came from:
/// GRDB's `Row` here, PostgreSQL's row in its own module. Each read gives nil for NULL and throws,
/// naming the column, for a value that is not of its kind.
package protocol StoredRow {
    func text(_ index: Int) throws -> String?
    func integer(_ index: Int) throws -> Int64?
    func date(_ index: Int) throws -> Date?
    /// The name of the column at `index`, for errors.
    func columnName(_ index: Int) -> String
}

extension StepRecord {
    /// The columns a step's row is read from, in the order `init(stored:)` reads them.
    package static let storedColumns = ["runID", "stepID", "status", "attempts", "output", "errorCode", "errorMessage", "updatedAt"]

    /// The columns every request for steps selects: `storedColumns`.
    public static var databaseSelection: [any SQLSelectable] { storedColumns.map { Column($0) } }

    public init(row: Row) throws { try self.init(stored: row) }

    package init(stored row: some StoredRow) throws {
        self.init(runID: RunID(rawValue: try row.string(0)), stepID: StepID(rawValue: try row.string(1)), status: try row.status(2),
                  attempts: try row.number(3), updatedAt: try row.moment(7))
        output = try row.json(4)
        errorCode = try row.text(5).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(6)
    }
}

extension AttemptRecord {
    /// The columns an attempt's row is read from, in the order `init(stored:)` reads them.
    package static let storedColumns = ["runID", "stepID", "attempt", "idempotencyKey", "agent", "input", "output", "status",
                                        "errorCode", "errorMessage", "startedAt", "finishedAt", "instance"]

    /// The columns every request for attempts selects: `storedColumns`.
    public static var databaseSelection: [any SQLSelectable] { storedColumns.map { Column($0) } }

    public init(row: Row) throws { try self.init(stored: row) }

    package init(stored row: some StoredRow) throws {
        guard let input = try row.json(5) else { throw row.null(5) }
        self.init(runID: RunID(rawValue: try row.string(0)), stepID: StepID(rawValue: try row.string(1)), attempt: try row.number(2),
                  idempotencyKey: try row.string(3), input: input, startedAt: try row.moment(10))
        agent = try row.text(4)
        output = try row.json(6)
        status = try row.status(7)
        errorCode = try row.text(8).map(ErrorCode.init(rawValue:))
        errorMessage = try row.text(9)
        finishedAt = try row.date(11)
        instance = try row.text(12).map(InstanceID.init(rawValue:))
    }
}

extension TransitionRecord {
    /// The columns a transition's row is read from, in the order `init(stored:)` reads them.
    package static let storedColumns = ["sequence", "runID", "stepID", "from", "to", "detail", "at"]

    /// The columns every request for transitions selects: `storedColumns`.
    public static var databaseSelection: [any SQLSelectable] { storedColumns.map { Column($0) } }

    public init(row: Row) throws { try self.init(stored: row) }

    package init(stored row: some StoredRow) throws {
        self.init(sequence: try row.integer(0), runID: RunID(rawValue: try row.string(1)), stepID: try row.text(2).map(StepID.init(rawValue:)),
                  from: try row.text(3), to: try row.string(4), detail: try row.text(5), at: try row.moment(6))
    }
}

extension StoreError {
    /// A stored value this version cannot read back (a status it does not know, JSON that does
    /// not parse): the read fails with the column and the value named.
    static func unreadable(column: String, value: String) -> StoreError {
        .database("the column '\(column)' holds '\(value)', which this version cannot read")
    }
}

// Concrete on purpose: PostgreSQL's module calls `init(stored:)` unspecialized, where a generic
// helper would look its type's metadata up at every column.
extension StoredRow {
    func null(_ index: Int) -> StoreError { .database("the column '\(columnName(index))' is NULL") }

    func string(_ index: Int) throws -> String {
        guard let value = try text(index) else { throw null(index) }
        return value
    }

    func number(_ index: Int) throws -> Int {
        guard let value = try integer(index) else { throw null(index) }
        return Int(clamping: value)
    }

    func moment(_ index: Int) throws -> Date {
        guard let value = try date(index) else { throw null(index) }
        return value
    }

    /// JSON text parsed, or nil for NULL.
    func json(_ index: Int) throws -> JSONValue? {
        guard let text = try text(index) else { return nil }
        guard let value = JSONValue(parsing: text.utf8) else {
            throw StoreError.unreadable(column: columnName(index), value: String(text.prefix(64)))
        }
        return value
    }

    /// A step's status this version knows.
    func status(_ index: Int) throws -> StepStatus {
        let text = try string(index)
        guard let value = StepStatus(rawValue: text) else { throw StoreError.unreadable(column: columnName(index), value: text) }
        return value
    }
}

extension Row: StoredRow {
    package func text(_ index: Int) throws -> String? { try decode(String?.self, atIndex: index) }
    package func integer(_ index: Int) throws -> Int64? { try decode(Int64?.self, atIndex: index) }
    package func date(_ index: Int) throws -> Date? { try decode(Date?.self, atIndex: index) }
    package func columnName(_ index: Int) -> String { Array(columnNames)[index] }
}
