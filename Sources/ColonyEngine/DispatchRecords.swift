import ColonyCore
import ColonyStore
import Synchronization

/// Which agent instance the broker gave each attempt to, as the broker's notices arrive (on
/// the client's I/O thread): held here without waking the engine, and written with its next
/// batch, or alone once the oldest waited `delay`. A chain's step then costs one transaction,
/// not two, and no thread hop while its request is out.
final class DispatchRecords: Sendable {
    /// What the timer that `add` asked for does when it fires.
    enum Next: Equatable {
        /// Nothing is left to write (a batch took it): the timer ends.
        case nothing
        /// The oldest record waited long enough: write now; the timer ends.
        case writeNow
        /// Sleep this much longer, then ask again.
        case wait(Duration)
    }

    private struct State {
        var records: [StoreChange] = []
        /// When the oldest of `records` was added (nil when there are none).
        var oldest: ContinuousClock.Instant?
        var timerRunning = false
    }

    let delay: Duration
    private let state = Mutex(State())

    init(delay: Duration) {
        self.delay = delay
    }

    /// Adds a record; true when no timer runs yet (the caller starts one: see `next`).
    func add(run: RunID, step: StepID, attempt: Int, instance: InstanceID, at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            state.records.append(.attemptDispatched(run: run, step: step, attempt: attempt, instance: instance))
            if state.oldest == nil { state.oldest = now }
            defer { state.timerRunning = true }
            return !state.timerRunning
        }
    }

    /// Everything added so far, oldest first (handed over whole, not copied).
    func take() -> [StoreChange] {
        state.withLock { state in
            state.oldest = nil
            return Swift.exchange(&state.records, with: [])
        }
    }

    /// What the timer does now.
    func next(at now: ContinuousClock.Instant = .now) -> Next {
        state.withLock { state in
            guard let oldest = state.oldest else {
                state.timerRunning = false
                return .nothing
            }
            let waited = now - oldest
            guard waited >= delay else { return .wait(delay - waited) }
            state.timerRunning = false
            return .writeNow
        }
    }
}
