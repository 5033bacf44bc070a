#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock in nanoseconds: cheap to read, never jumps.
public struct MonotonicTime: Comparable, Hashable, Sendable {
    /// Nanoseconds since an arbitrary fixed origin (boot, on Linux).
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current time.
    public static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
    }

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// This time moved forward by `duration` (negative durations clamp at the origin).
    public func advanced(by duration: Duration) -> MonotonicTime {
        let delta = duration.nanosecondsClamped
        return delta >= 0
            ? MonotonicTime(nanoseconds: nanoseconds &+ UInt64(delta))
            : MonotonicTime(nanoseconds: nanoseconds &- min(nanoseconds, UInt64(-delta)))
    }

    public static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime { lhs.advanced(by: rhs) }

    /// The time from `earlier` to this one (zero if `earlier` is later).
    public func since(_ earlier: MonotonicTime) -> Duration {
        nanoseconds >= earlier.nanoseconds ? .nanoseconds(Int64(nanoseconds - earlier.nanoseconds)) : .zero
    }
}

extension Duration {
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
            delay = delay * multiplier
            if delay >= max { return max }
        }
        return Swift.min(delay, max)
    }

    /// `250 ms` below a second, else `1.5 s`: for messages people read.
    public var readable: String {
        milliseconds >= 1000 ? "\((milliseconds / 100).rounded() / 10) s" : "\(Int(milliseconds.rounded())) ms"
    }
}
