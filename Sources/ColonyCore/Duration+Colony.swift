extension Duration {
    /// The longest duration Colony accepts from a person or a peer: 100 years, "forever" for a
    /// message bus. Every value below it converts to nanoseconds, milliseconds and dates
    /// without overflow, and scaling it by a backoff multiplier (at most 100) stays in range.
    public static let longest: Duration = .seconds(100 * 365 * 86_400)

    /// `seconds` as a duration if it is a finite number from 0 to `longest`, else nil: for
    /// values people type, which deserve an error naming them rather than a silent change.
    public init?(checkedSeconds seconds: Double) {
        guard seconds.isFinite, seconds >= 0, seconds <= Duration.longest.seconds else { return nil }
        self = .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// `seconds` as a duration clamped to `0...longest` (NaN counts as zero): for values from
    /// peers, which must never stop a process.
    public init(clampingSeconds seconds: Double) {
        guard seconds > 0 else { self = .zero; return }
        self = Duration(checkedSeconds: seconds) ?? .longest
    }

    /// `milliseconds` as a duration clamped to `0...longest`: for counts from peers.
    public init(clampingMilliseconds milliseconds: UInt64) {
        let longest = UInt64(Duration.longest.nanosecondsClamped / 1_000_000)
        self = .milliseconds(Int64(min(milliseconds, longest)))
    }

    /// This duration multiplied by `factor`, clamped to `0...longest` (for backoff and jitter).
    public func scaled(by factor: Double) -> Duration {
        Duration(clampingSeconds: seconds * factor)
    }

    /// The duration in whole nanoseconds, clamped to the range of `Int64`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// The duration in milliseconds as a floating-point number (for display and config).
    public var milliseconds: Double { Double(nanosecondsClamped) / 1_000_000 }

    /// The duration in seconds as a floating-point number (for dates: `addingTimeInterval`).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Exponential backoff: the delay before retry number `attempt` (1-based) is
    /// `initial × multiplier^(attempt − 1)`, at most `max`.
    public static func backoff(initial: Duration, multiplier: Double, max: Duration, attempt: Int) -> Duration {
        var delay = initial
        for _ in 1..<Swift.max(1, attempt) {
            delay = delay.scaled(by: multiplier)
            if delay >= max { return max }
        }
        return Swift.min(delay, max)
    }

    /// `250 ms` below a second, `1.5 s` below a minute, then `2m 5s`, `1h`, `1h 30m`, `3d 2h`:
    /// for messages people read.
    public var readable: String {
        guard milliseconds >= 60_000 else {
            return milliseconds >= 1000 ? "\((milliseconds / 100).rounded() / 10) s" : "\(Int(milliseconds.rounded())) ms"
        }
        var rest = Int64((milliseconds / 1000).rounded(.down))  // at most Int64.max / 10^9: no trap
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        return parts.prefix(2).joined(separator: " ")
    }
}
