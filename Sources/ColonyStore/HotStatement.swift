import Foundation
import GRDB
import GRDBSQLite

/// A statement on the engine's hot path, prepared once per connection (GRDB's statement cache,
/// found through the store's `HotStatementCache`) and bound and stepped through SQLite's C API:
/// GRDB's argument boxing, reentrancy checks and observation hooks cost more per transition than
/// SQLite's own work (docs/PERFORMANCE.md).
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

    /// The statement for `sql` on `database`, from `statements` when the store passes its cache
    /// (no hashing of the text), from GRDB's statement cache otherwise.
    init(_ sql: String, _ database: Database, _ statements: HotStatementCache? = nil) throws {
        self.handle = try statements?.handle(for: sql, on: database) ?? database.cachedStatement(sql: sql).sqliteStatement
        self.database = database
    }

    /// Runs the statement with `values` bound in order; returns how many rows it changed.
    @discardableResult
    func execute(_ values: Value...) throws -> Int {
        try execute(values)
    }

    /// Runs the statement with `values` bound in order, one for each of its parameters; returns
    /// how many rows it changed.
    @discardableResult
    func execute(_ values: [Value]) throws -> Int {
        try run(values) { _ in
            var code = sqlite3_step(handle)
            while code == SQLITE_ROW { code = sqlite3_step(handle) }
            return code
        }
        return Int(sqlite3_changes(database.sqliteConnection))
    }

    /// Runs the query with `values` bound and returns what `read` makes of its first row, or nil
    /// when it has none (the rest are not stepped).
    func firstRow<Result>(_ values: Value..., read: (HotRow) -> Result) throws -> Result? {
        var result: Result?
        try run(values) { handle in
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else { return code }
            result = read(HotRow(handle: handle))
            return SQLITE_DONE
        }
        return result
    }

    /// Binds `values`, one for each parameter, and lets `step` step the statement; throws
    /// unless it returns SQLITE_DONE. Texts are bound in place, without SQLite's copy (a malloc
    /// and a free each), which holds only while the statement steps: so each is bound inside
    /// its own string's `withUTF8`, `step` runs inside the innermost, and the bindings are
    /// cleared before the strings go, so none outlives what it points into.
    private func run(_ values: [Value], step: (OpaquePointer) -> Int32) throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(resultCode: .SQLITE_RANGE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters",
                                sql: sqlite3_sql(handle).map { String(cString: $0) })
        }
        let code = bind(values, from: 0, nested: 0, then: step)
        guard code == SQLITE_DONE else { throw error(code) }
    }

    /// Binds `values[offset...]` and then runs `step`; returns the first failing bind's code
    /// or what `step` returned. A text's bytes stay valid until its `withUTF8` returns, which is
    /// after `step`. Past `nestedTextsAtMost` texts (each one a stack frame deeper) the rest are
    /// copied by SQLite instead.
    private func bind(_ values: [Value], from offset: Int, nested: Int, then step: (OpaquePointer) -> Int32) -> Int32 {
        var offset = offset
        while offset < values.count {
            let index = Int32(offset + 1)
            let code: Int32
            switch values[offset] {
            case .text(var text):
                let inPlace = nested < Self.nestedTextsAtMost
                let next = offset + 1
                let result = text.withUTF8 { bytes -> (code: Int32, done: Bool) in
                    guard bytes.count <= Int(Int32.max) else { return (SQLITE_TOOBIG, true) }
                    // A nil pointer would bind NULL instead of '' (and the literal lives only for the call).
                    let code = bytes.baseAddress.map { base in
                        base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                            sqlite3_bind_text(handle, index, chars, Int32(bytes.count), inPlace ? Self.inPlace : Self.copied)
                        }
                    } ?? sqlite3_bind_text(handle, index, "", 0, Self.copied)
                    guard code == SQLITE_OK, inPlace else { return (code, code != SQLITE_OK) }
                    return (bind(values, from: next, nested: nested + 1, then: step), true)
                }
                if result.done { return result.code }
                code = result.code
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .null: code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { return code }
            offset += 1
        }
        return step(handle)
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(database.sqliteConnection)),
                      sql: sqlite3_sql(handle).map { String(cString: $0) })
    }

    /// SQLITE_STATIC: SQLite reads the bytes where they are, so they must outlive the binding.
    private static let inPlace: sqlite3_destructor_type? = nil
    /// SQLITE_TRANSIENT: SQLite copies the bytes before `bind` returns.
    private static let copied = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// Texts bound in place in one run at most: the transition log's widest statement has 48
    /// values; GRDB nests at most 20 the same way.
    static let nestedTextsAtMost = 64
}

/// The current row of a `HotStatement` query, read by column (valid only inside `firstRow`).
struct HotRow {
    let handle: OpaquePointer

    /// Column `index` as text; nil when it is NULL.
    func text(_ index: Int32) -> String? {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL, let bytes = sqlite3_column_text(handle, index) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
    }

    /// Column `index` as an integer; nil when it is NULL.
    func integer(_ index: Int32) -> Int64? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, index)
    }
}
