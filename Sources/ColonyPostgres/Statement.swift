import Foundation
import PostgresNIO

/// One SQL statement assembled from parts, each value bound as the next `$n`: so several
/// writes that belong together (a transition's row update, its log row, its attempt) go to the
/// server as one statement and one round trip.
struct Statement {
    private(set) var sql = ""
    private var bindings = PostgresBindings()
    private var count = 0

    mutating func append(_ text: String) { sql += text }

    /// Binds a column value and returns its placeholder.
    mutating func bind(_ value: RecordColumns.Value) throws -> String {
        try RecordColumns.append(value, to: &bindings)
        count += 1
        return "$\(count)"
    }

    /// Binds a value and returns its placeholder.
    mutating func bind(_ value: some PostgresEncodable) throws -> String {
        try bindings.append(value)
        count += 1
        return "$\(count)"
    }

    /// Binds every column of `columns` and returns their placeholders, comma separated.
    mutating func bind(_ columns: RecordColumns) throws -> String {
        try columns.values.map { try bind($0) }.joined(separator: ", ")
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}
