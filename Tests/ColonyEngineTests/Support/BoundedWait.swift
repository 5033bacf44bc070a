import ColonyTestSupport
import Synchronization
import Testing

/// One wait of a test helper for something the code under test does, resumed once: by whoever
/// sees it happen, or after `Duration.generous` of real time. A wait that is never met then
/// fails its test, saying what it waited for, instead of hanging the suite until the test
/// command's watchdog ends the whole run.
final class BoundedWait: Sendable {
    private enum State {
        case unset
        case waiting(CheckedContinuation<Bool, Never>)
        case resumed(met: Bool)
    }

    private let state = Mutex(State.unset)

    /// Resumes the waiter, if nothing has yet; `met` says whether what it waits for happened.
    func resume(met: Bool = true) {
        let continuation: CheckedContinuation<Bool, Never>? = state.withLock { state in
            switch state {
            case .unset:
                state = .resumed(met: met)
                return nil
            case .waiting(let continuation):
                state = .resumed(met: met)
                return continuation
            case .resumed:
                return nil
            }
        }
        continuation?.resume(returning: met)
    }

    /// Waits until the wait `register` filed is resumed, or `Duration.generous` passes; then
    /// records an issue at `sourceLocation` saying `what` never happened. `register` files the
    /// wait where it will be resumed, and returns true when what it waits for happened already.
    static func wait(for what: @autoclosure () -> String, sourceLocation: SourceLocation, register: (BoundedWait) -> Bool) async {
        let wait = BoundedWait()
        guard !register(wait) else { return }
        let timer = Task {
            try await Task.sleep(for: .generous)
            wait.resume(met: false)
        }
        defer { timer.cancel() }
        let met = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let already: Bool? = wait.state.withLock { state in
                if case .resumed(let met) = state { return met }
                state = .waiting(continuation)
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
        if !met {
            Issue.record("waited \(Duration.generous) for \(what()), in vain", sourceLocation: sourceLocation)
        }
    }
}
