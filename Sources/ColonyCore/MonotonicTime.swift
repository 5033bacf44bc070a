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

    /// The farthest representable time: "never" for deadlines.
    public static let distantFuture = MonotonicTime(nanoseconds: .max)

    /// This time moved forward by `duration`, saturating: negative durations clamp at the
    /// origin and sums past the end of the clock at `distantFuture`.
    public func advanced(by duration: Duration) -> MonotonicTime {
        let delta = duration.nanosecondsClamped
        if delta >= 0 { return self + Offset(nanoseconds: UInt64(delta)) }
        return MonotonicTime(nanoseconds: nanoseconds - min(nanoseconds, delta.magnitude))
    }

    public static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime { lhs.advanced(by: rhs) }

    /// A non-negative duration converted to nanoseconds once: adding it is one saturating
    /// 64-bit add, where adding a `Duration` takes 128-bit arithmetic (the broker adds its
    /// expiries at every message).
    public struct Offset: Sendable {
        public let nanoseconds: UInt64

        public init(_ duration: Duration) {
            nanoseconds = UInt64(max(0, duration.nanosecondsClamped))
        }

        /// An offset of `nanoseconds` (a difference of two readings of the clock).
        public init(nanoseconds: UInt64) {
            self.nanoseconds = nanoseconds
        }
    }

    public static func + (lhs: MonotonicTime, rhs: Offset) -> MonotonicTime {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return overflow ? .distantFuture : MonotonicTime(nanoseconds: sum)
    }

    /// Nanoseconds from `earlier` to this one (zero if `earlier` is later), without `Duration`'s
    /// 128-bit arithmetic.
    public func nanoseconds(since earlier: MonotonicTime) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    /// The time from `earlier` to this one (zero if `earlier` is later).
    public func since(_ earlier: MonotonicTime) -> Duration {
        .nanoseconds(Int64(clamping: nanoseconds(since: earlier)))
    }
}
