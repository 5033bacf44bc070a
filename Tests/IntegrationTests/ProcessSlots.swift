import Foundation
import Synchronization

/// How many tests that run `colony` processes may run at once: two per core.
///
/// Swift Testing starts every test of the run at once. Sixty tests, each with a broker, an
/// orchestrator and agents in debug builds, put hundreds of busy threads on two cores: a
/// process then waits seconds for its turn, misses heartbeats and answers late, and a test
/// fails for the machine's load rather than for what it checks. Each `ProcessHarness` takes a
/// slot when it is made and gives it back when it stops its processes, so the load a test sees
/// is bounded however many tests there are. Waiting for a slot holds no thread.
final class ProcessSlots: Sendable {
    static let shared = ProcessSlots(count: max(2, 2 * ProcessInfo.processInfo.activeProcessorCount))

    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(free: count))
    }

    /// Waits until a slot is free and takes it.
    func take() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let taken = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if taken { continuation.resume() }
        }
    }

    /// Gives a slot back: to the longest waiting test, if any.
    func give() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
