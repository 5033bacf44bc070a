import Foundation
import GRDB
import GRDBSQLite

/// A statement on the engine's hot path, prepared once per connection (GRDB's statement cache)
/// and bound and stepped through SQLite's C API: GRDB's argument boxing, reentrancy checks and
/// observation hooks cost more per transition than SQLite's own work (docs/PERFORMANCE.md).
struct HotStatement {
    /// A value bound to one parameter.
    enum Value {
        case text(String)
        case integer(Int64)
        case null

        static func text(_ value: String?) -> Value { value.map { .text($0) } ?? .null }
        /// A Bool as SQLite (and GRDB) store it: 1 or 0.
        static func flag(_ value: Bool) -> Value { .integer(value ? 1 : 0) }
    }

    private let handle: OpaquePointer
    private let database: Database

    init(_ sql: String, _ database: Database) throws {
        self.handle = try database.cachedStatement(sql: sql).sqliteStatement
        self.database = database
    }

    /// Runs the statement with `values` bound in order; returns how many rows it changed.
    @discardableResult
    func execute(_ values: Value...) throws -> Int {
        try execute(values)
    }

    /// Runs the statement with `values` bound in order, one for each of its parameters; returns
    /// how many rows it changed. Every parameter is bound at every run, so the bindings of the
    /// last run are not cleared (that cost SQLite more than binding): each is replaced.
    @discardableResult
    func execute(_ values: [Value]) throws -> Int {
        defer { sqlite3_reset(handle) }
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(resultCode: .SQLITE_RANGE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters",
                                sql: sqlite3_sql(handle).map { String(cString: $0) })
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(var text):
                // The string's own UTF-8, not a NUL-terminated copy: SQLite copies what it is given.
                code = text.withUTF8 { bytes in
                    guard bytes.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
                    // A nil pointer would bind NULL instead of ''.
                    guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                        sqlite3_bind_text(handle, index, chars, Int32(bytes.count), Self.transient)
                    }
                }
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .null: code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw error(code) }
        }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw error(code) }
        return Int(sqlite3_changes(database.sqliteConnection))
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(database.sqliteConnection)),
                      sql: sqlite3_sql(handle).map { String(cString: $0) })
    }

    /// SQLite copies the bytes before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
