import Foundation

/// UTC timestamps with milliseconds, e.g. 2026-11-21T19:45:08.123Z.
public enum Timestamp {
    public static func iso8601(milliseconds: UInt64? = nil) -> String {
        text(milliseconds: milliseconds ?? WallClock.nowMilliseconds(), between: "T", after: "Z")
    }

    /// `2026-11-21 19:45:08.123`: how SQLite stores dates (GRDB's format, UTC), made without a
    /// DateFormatter (ICU) on the store's hot path.
    public static func sql(milliseconds: UInt64) -> String {
        text(milliseconds: milliseconds, between: " ", after: "")
    }

    private static func text(milliseconds: UInt64, between: String, after: String) -> String {
        var parts = tm()
        var seconds = Int(milliseconds / 1000)
        gmtime_r(&seconds, &parts)
        let millis = milliseconds % 1000
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))\(between)\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)\(after)"
    }
}

extension Date {
    /// The time as people read it everywhere in Colony's messages, output and logs: ISO 8601 in
    /// UTC with milliseconds and its zone (`2026-11-29T01:00:00.000Z`). Dates outside 1970…33658
    /// (none Colony makes) read as the nearer end: never a trap.
    public var timestamp: String {
        Timestamp.iso8601(milliseconds: millisecondsSince1970)
    }

    /// Whole milliseconds since 1970, rounded down, clamped to 0…10^15.
    public var millisecondsSince1970: UInt64 { millisecondsSince1970(rounded: .down) }

    /// Whole milliseconds since 1970, rounded by `rule`, clamped to 0…10^15.
    public func millisecondsSince1970(rounded rule: FloatingPointRoundingRule) -> UInt64 {
        UInt64(min(max(0, (timeIntervalSince1970 * 1000).rounded(rule)), 1e15))
    }
}
