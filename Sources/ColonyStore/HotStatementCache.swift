import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The store's hot statements, found by where their SQL text lives instead of by hashing it:
/// GRDB's statement cache is keyed by the text, and hashing ~300 bytes of SQL seven times a
/// transaction cost the engine ~10,000 instructions a workflow step.
///
/// The address is only a hint. A hit is taken only if the statement belongs to the same
/// connection and its SQL is the same text, so a text that moved or a string whose storage is
/// reused finds its statement through GRDB again. The statements are GRDB's own (held here so
/// GRDB never finalizes one still remembered) and belong to the store's writer connection, which
/// lives as long as the store; the store empties this cache before it lets go of its pool.
final class HotStatementCache: Sendable {
    // @unchecked: GRDB's Statement is not Sendable because its methods must run on its
    // connection's writer. The cache calls none of them: it keeps the object alive and reads
    // its handle, an immutable `let`, and the handle is used by the writer that asked for it.
    private struct Entry: @unchecked Sendable {
        let statement: Statement
        let connection: OpaquePointer
    }

    /// The longest text a String holds inline (64-bit platforms).
    private static let inlineTextBytes = 15

    /// Statements remembered at most: the store has about a dozen hot texts. Past it a text is
    /// still served, by GRDB's cache, and nothing more is remembered.
    static let capacity = 64

    /// Keyed by the address of the SQL text's UTF-8. A handle handed out is used at once by the
    /// writer that asked (the store asks only inside its writer, one transaction at a time).
    private let entries = Mutex<[Int: Entry]>([:])

    /// The prepared statement for `sql` on `database`: remembered, or GRDB's cached one.
    func handle(for sql: String, on database: Database) throws -> OpaquePointer {
        // A text of up to 15 bytes is held inside the String value itself, at no fixed address;
        // GRDB hashes so short a text cheaply.
        guard sql.utf8.count > Self.inlineTextBytes else { return try database.cachedStatement(sql: sql).sqliteStatement }
        let key = sql.utf8.withContiguousStorageIfAvailable { Int(bitPattern: $0.baseAddress) }
        return try handle(for: sql, at: key, on: database)
    }

    /// The same, with the address to look under given (tests give one another text lives at).
    func handle(for sql: String, at key: Int?, on database: Database) throws -> OpaquePointer {
        let connection = database.sqliteConnection
        if let key, let connection, let remembered = remembered(key, sql: sql, on: connection) {
            return remembered
        }
        let statement = try database.cachedStatement(sql: sql)
        if let key, let connection { remember(statement, at: key, on: connection) }
        return statement.sqliteStatement
    }

    /// How many statements are remembered (at most `capacity`).
    var count: Int { entries.withLock { $0.count } }

    /// Lets every statement go (the store calls this before its pool closes).
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    private func remembered(_ key: Int, sql: String, on connection: OpaquePointer) -> OpaquePointer? {
        let address = entries.withLock { entries -> Int? in
            guard let entry = entries[key], entry.connection == connection else { return nil }
            return Int(bitPattern: entry.statement.sqliteStatement)
        }
        guard let handle = address.flatMap(OpaquePointer.init(bitPattern:)), let text = sqlite3_sql(handle) else { return nil }
        return Self.same(sql, text) ? handle : nil
    }

    private func remember(_ statement: Statement, at key: Int, on connection: OpaquePointer) {
        let entry = Entry(statement: statement, connection: connection)
        entries.withLock { entries in
            guard entries.count < Self.capacity || entries[key] != nil else { return }
            entries[key] = entry
        }
    }

    /// Whether `sql` is exactly the NUL-terminated `text` SQLite kept.
    private static func same(_ sql: String, _ text: UnsafePointer<CChar>) -> Bool {
        var sql = sql
        return sql.withUTF8 { bytes in
            guard strlen(text) == bytes.count else { return false }
            guard let base = bytes.baseAddress else { return true }
            return memcmp(base, text, bytes.count) == 0
        }
    }
}
