import Foundation

/// UTC timestamps with milliseconds, e.g. 2026-11-21T19:45:08.123Z.
public enum Timestamp {
    public static func iso8601(milliseconds: UInt64? = nil) -> String {
        text(milliseconds: milliseconds ?? WallClock.nowMilliseconds(), between: UInt8(ascii: "T"), zone: true)
    }

    /// `2026-11-21 19:45:08.123`: how SQLite stores dates (GRDB's format, UTC), made without a
    /// DateFormatter (ICU) on the store's hot path.
    public static func sql(milliseconds: UInt64) -> String {
        text(milliseconds: milliseconds, between: UInt8(ascii: " "), zone: false)
    }

    /// Written digit by digit into one buffer (the store formats several dates per step): the
    /// civil date from the day count by H. Hinnant's `civil_from_days`, no libc, no interpolation.
    private static func text(milliseconds: UInt64, between: UInt8, zone: Bool) -> String {
        let millis = Int(milliseconds % 1000)
        let seconds = Int(milliseconds / 1000)
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let shifted = days + 719_468  // days since 0000-03-01; never negative here
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var count = 0
            func put(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            func digits(_ value: Int, _ width: Int) {
                var divisor = 1
                for _ in 1..<width { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(rest / divisor))
                    rest %= divisor
                    divisor /= 10
                }
            }
            digits(year, year >= 10_000 ? 5 : 4)
            put(UInt8(ascii: "-"))
            digits(month, 2)
            put(UInt8(ascii: "-"))
            digits(day, 2)
            put(between)
            digits(secondOfDay / 3600, 2)
            put(UInt8(ascii: ":"))
            digits(secondOfDay / 60 % 60, 2)
            put(UInt8(ascii: ":"))
            digits(secondOfDay % 60, 2)
            put(UInt8(ascii: "."))
            digits(millis, 3)
            if zone { put(UInt8(ascii: "Z")) }
            return count
        }
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
