import Foundation

extension Date {
    /// The time as people read it everywhere in Colony's messages and output: ISO 8601 in UTC
    /// with milliseconds and its zone (`2026-11-29T01:00:00.000Z`).
    public var timestamp: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}
