import ColonyEngine
import Foundation
import Synchronization
import Testing

/// A clock that moves only when the test says so. Sleepers wait until `advance` reaches their
/// deadline; the test can wait for a sleeper to appear before it moves time, so what the code
/// under test does at each moment is decided by the test, not by the machine's speed.
final class ManualClock: EngineClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UUID: Sleeper] = [:]
        /// Tests waiting for a sleeper whose deadline passes their test.
        var lookouts: [(matches: (Date) -> Bool, wait: BoundedWait)] = []
    }

    private let state: Mutex<State>

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    var now: Date { state.withLock { $0.now } }

    func sleep(until date: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if date <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: date, continuation: continuation)
                    var remaining: [(matches: (Date) -> Bool, wait: BoundedWait)] = []
                    for lookout in state.lookouts {
                        if lookout.matches(date) { lookout.wait.resume() } else { remaining.append(lookout) }
                    }
                    state.lookouts = remaining
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time to `date` and wakes every sleeper due by then, earliest first.
    func advance(to date: Date) {
        let due: [Sleeper] = state.withLock { state in
            state.now = max(state.now, date)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time on by `duration`.
    func advance(by duration: Duration) {
        advance(to: now.addingTimeInterval(duration.seconds))
    }

    /// Returns once someone sleeps until a moment that `matches` (at once if someone does), or
    /// records an issue after `Duration.generous`.
    func waitForSleeper(where matches: @escaping @Sendable (Date) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
        await BoundedWait.wait(for: "a sleeper the test looks for (now \(now), sleepers until \(deadlines))", sourceLocation: sourceLocation) { wait in
            state.withLock { state in
                if state.sleepers.values.contains(where: { matches($0.deadline) }) { return true }
                state.lookouts.append((matches, wait))
                return false
            }
        }
    }

    /// When each sleeper wakes, earliest first.
    private var deadlines: [Date] { state.withLock { $0.sleepers.values.map(\.deadline).sorted() } }

    /// The earliest moment someone sleeps until, if anyone sleeps.
    var nextDeadline: Date? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    /// Lets time pass up to `target` the way it would: waits until someone sleeps past the
    /// present (the code under test has done what it does now), moves to the earliest such
    /// deadline, and again, until `target`; then waits once more, so what `target` brings is done.
    /// Meant for one sleeping loop: with several, one may still be busy when another sleeps.
    func run(until target: Date, sourceLocation: SourceLocation = #_sourceLocation) async {
        while true {
            let present = now
            await waitForSleeper(where: { $0 > present }, sourceLocation: sourceLocation)
            guard let next = nextDeadline, next <= target else { break }
            advance(to: next)
        }
        if now < target {
            advance(to: target)
            let present = now
            await waitForSleeper(where: { $0 > present }, sourceLocation: sourceLocation)
        }
    }

    /// Returns once someone sleeps until exactly `date`.
    func waitForSleeper(until date: Date, sourceLocation: SourceLocation = #_sourceLocation) async {
        await waitForSleeper(where: { $0 == date }, sourceLocation: sourceLocation)
    }
}
