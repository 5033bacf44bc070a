import ColonyCore
import ColonyWorkflow
import Foundation
import GRDB

// JSON values are stored as JSON text. An explicit conversion, because GRDB's generic Codable
// column decoding would read JSON text as whatever type is tried first (a Bool, say).
extension JSONValue: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { jsonText.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> JSONValue? {
        guard let text = String.fromDatabaseValue(dbValue) else { return nil }
        return JSONValue(parsing: text.utf8)
    }
}

/// Error codes are stored as their text.
extension ErrorCode: DatabaseValueConvertible {}

/// Statuses are stored as their raw value.
extension RunStatus: DatabaseValueConvertible {}
extension StepStatus: DatabaseValueConvertible {}

/// Identifiers are stored as their text.
extension Identifier: DatabaseValueConvertible {}

extension Date {
    /// The text GRDB stores for this date (`2026-11-21 19:45:08.123`, UTC), made without ICU:
    /// the engine's per-transition statements bind it instead of the `Date`. Rounded to the
    /// nearest millisecond, as GRDB's formatter does.
    var databaseText: String {
        Timestamp.sql(milliseconds: millisecondsSince1970(rounded: .toNearestOrAwayFromZero))
    }
}
