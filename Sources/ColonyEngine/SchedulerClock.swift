import Foundation

/// The scheduler's time: what time it is, and sleeping until a moment. Injected so the
/// scheduler's tests can drive time by hand.
public protocol SchedulerClock: Sendable {
    var now: Date { get }
    /// Returns at `date` (or throws when the task is cancelled).
    func sleep(until date: Date) async throws
}

/// Wall time, slept on the continuous clock.
public struct SystemSchedulerClock: SchedulerClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until date: Date) async throws {
        let delay = date.timeIntervalSinceNow
        guard delay > 0 else { return }
        try await Task.sleep(for: Duration(clampingSeconds: delay), tolerance: .microseconds(100))
    }
}
