import ColonyCore
import Foundation

/// The time the engine, the scheduler and the coordinator live by: what time it is, and
/// sleeping until a moment. Injected, so tests drive time by hand instead of waiting for it.
public protocol EngineClock: Sendable {
    var now: Date { get }
    /// Returns at `date`, at once if it has passed; throws `CancellationError` when the task
    /// is cancelled first.
    func sleep(until date: Date) async throws
}

extension EngineClock {
    /// Sleeps for `duration` from now.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.seconds))
    }
}

/// Wall time, slept on the continuous clock.
public struct SystemEngineClock: EngineClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until date: Date) async throws {
        let delay = date.timeIntervalSinceNow
        guard delay > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: Duration(clampingSeconds: delay), tolerance: .microseconds(100))
    }
}

extension EngineClock where Self == SystemEngineClock {
    /// Wall time.
    public static var system: SystemEngineClock { SystemEngineClock() }
}
