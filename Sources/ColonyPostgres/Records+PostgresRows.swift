import ColonyStore
import Foundation
import PostgresNIO

// A run's snapshot reads one row per step, per attempt and per transition: thousands for a long
// run. Through Codable (`RecordDecoder`) every column was found by its name and converted through
// generic code. Here the snapshot's queries select each record's `storedColumns` by name, and
// the record reads them by index (`init(stored:)`, shared with the SQLite store), as SQLite's does.

extension StepRecord {
    /// `storedColumns`, as the snapshot's query names them.
    static let postgresColumns = quotedList(storedColumns)
}

extension AttemptRecord {
    /// `storedColumns`, as the snapshot's query names them.
    static let postgresColumns = quotedList(storedColumns)
}

extension TransitionRecord {
    /// `storedColumns`, as the snapshot's query names them.
    static let postgresColumns = quotedList(storedColumns)
}

private func quotedList(_ columns: [String]) -> String {
    columns.map { "\"\($0)\"" }.joined(separator: ", ")
}

/// A PostgreSQL row read by column index for `init(stored:)`. A cell that is not of the kind
/// asked for (a schema this version does not know) fails the read with its column and type
/// named, where PostgresNIO's own error names neither.
struct PostgresStoredRow: StoredRow {
    let row: PostgresRandomAccessRow

    func text(_ index: Int) throws -> String? { try value(index) }
    func integer(_ index: Int) throws -> Int64? { try value(index) }
    func date(_ index: Int) throws -> Date? { try value(index) }
    func columnName(_ index: Int) -> String { row[index].columnName }

    private func value<T: PostgresDecodable>(_ index: Int) throws -> T? where T._DecodableType == T {
        let cell = row[index]
        do {
            return try cell.decode(T?.self)
        } catch {
            throw StoreError.database("the column '\(cell.columnName)' (\(cell.dataType)) cannot be read as \(T.self)")
        }
    }
}
