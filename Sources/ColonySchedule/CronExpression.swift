import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week) as Vixie cron reads
/// it: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and weekday names
/// (`JAN`, `MON`), 7 as Sunday. When both day fields are restricted a day matching either counts.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    public let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let description: String

    /// Why an expression was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(_ text: String) throws(ParseError) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(message: "a cron expression has 5 fields (minute hour day-of-month month day-of-week), '\(text)' has \(fields.count)")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames, firstName: 0)
        daysOfWeek = Set(weekdays.map { $0 == 7 ? 0 : $0 })
        dayOfMonthRestricted = fields[2] != "*" && fields[2] != "?"
        dayOfWeekRestricted = fields[4] != "*" && fields[4] != "?"
        description = fields.joined(separator: " ")
    }

    private static func field(_ text: String, _ what: String, _ range: ClosedRange<Int>, names: [String], firstName: Int = 0) throws(ParseError) -> Set<Int> {
        func number(_ token: String) throws(ParseError) -> Int {
            if let value = Int(token), range.contains(value) { return value }
            if let index = names.firstIndex(of: token.uppercased()) { return index + firstName }
            throw ParseError(message: "'\(token)' is not a valid \(what) (\(range.lowerBound)–\(range.upperBound)\(names.isEmpty ? "" : " or a name such as \(names[0])"))")
        }
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2, !part.isEmpty else { throw ParseError(message: "'\(part)' is not a valid \(what) field") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else { throw ParseError(message: "'\(pieces[1])' is not a valid step in the \(what) field") }
                step = value
            }
            var lower = range.lowerBound, upper = range.upperBound
            if pieces[0] == "*" || pieces[0] == "?" {
                // every value
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lower = try number(String(pieces[0][..<dash]))
                upper = try number(String(pieces[0][pieces[0].index(after: dash)...]))
                guard lower <= upper else { throw ParseError(message: "the \(what) range '\(pieces[0])' runs backwards") }
            } else {
                lower = try number(pieces[0])
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            values.formUnion(stride(from: lower, through: upper, by: step))
        }
        return values
    }

    /// The first time after `date` (strictly) that matches, in `timeZone`; nil if none within
    /// eight years (e.g. `0 0 30 2 *`).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard var candidate = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
        let limit = date.addingTimeInterval(8 * 366 * 86_400)
        while candidate < limit {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: candidate)
            guard let month = parts.month, let day = parts.day, let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else {
                return nil
            }
            if !months.contains(month) {
                guard let start = calendar.dateInterval(of: .month, for: candidate)?.end else { return nil }
                candidate = start
            } else if !matchesDay(day, weekday - 1) {
                guard let start = calendar.dateInterval(of: .day, for: candidate)?.end else { return nil }
                candidate = start
            } else if !hours.contains(hour) {
                guard let start = calendar.dateInterval(of: .hour, for: candidate)?.end else { return nil }
                candidate = start
            } else if !minutes.contains(minute) {
                candidate = candidate.addingTimeInterval(60)
            } else {
                return candidate
            }
        }
        return nil
    }

    private func matchesDay(_ day: Int, _ weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): return daysOfMonth.contains(day)
        case (false, true): return daysOfWeek.contains(weekday)
        case (false, false): return true
        }
    }
}
