import Foundation

/// UTC timestamps with milliseconds, e.g. 2026-11-21T19:45:08.123Z.
public enum Timestamp {
    public static func iso8601(milliseconds: UInt64? = nil) -> String {
        var spec = timespec()
        if let milliseconds {
            spec.tv_sec = Int(milliseconds / 1000)
            spec.tv_nsec = Int(milliseconds % 1000) * 1_000_000
        } else {
            clock_gettime(CLOCK_REALTIME, &spec)
        }
        var parts = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &parts)
        let millis = spec.tv_nsec / 1_000_000
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }
}

extension Date {
    /// The time as people read it everywhere in Colony's messages, output and logs: ISO 8601 in
    /// UTC with milliseconds and its zone (`2026-11-29T01:00:00.000Z`). Dates outside 1970…33658
    /// (none Colony makes) read as the nearer end: never a trap.
    public var timestamp: String {
        Timestamp.iso8601(milliseconds: UInt64(min(max(0, (timeIntervalSince1970 * 1000).rounded(.down)), 1e15)))
    }
}
