import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyWorkflow
import Foundation
import Synchronization
import Testing

/// A dispatcher that answers each attempt with what the test's script says, and remembers
/// every order and every run end, so tests can wait for them.
final class ScriptedDispatcher: StepDispatcher {
    typealias Script = @Sendable (DispatchOrder) async -> StepResult

    private struct State {
        var orders: [DispatchOrder] = []
        var ended: [(run: RunID, status: RunStatus)] = []
        var abandoned: [DispatchOrder] = []
        var waiting: [(count: Int, wait: BoundedWait)] = []
    }

    private let script: Script
    private let state = Mutex(State())
    /// Runs before a run's end is recorded (a slow bus, when a test says so).
    private let endHook = Mutex<@Sendable () async -> Void>({})

    init(_ script: @escaping Script) {
        self.script = script
    }

    var orders: [DispatchOrder] { state.withLock { $0.orders } }
    var ended: [(run: RunID, status: RunStatus)] { state.withLock { $0.ended } }
    var abandoned: [DispatchOrder] { state.withLock { $0.abandoned } }

    func dispatch(_ order: DispatchOrder, dispatched: @escaping @Sendable (InstanceID) -> Void) async -> StepResult {
        let ready: [BoundedWait] = state.withLock { state in
            state.orders.append(order)
            let count = state.orders.count
            let ready = state.waiting.filter { $0.count <= count }.map(\.wait)
            state.waiting.removeAll { $0.count <= count }
            return ready
        }
        for wait in ready { wait.resume() }
        dispatched("agent-1")
        let result = await script(order)
        if Task.isCancelled { state.withLock { $0.abandoned.append(order) } }
        return result
    }

    func runEnded(_ run: RunID, status: RunStatus, error: StepError?) async {
        await endHook.withLock { $0 }()
        state.withLock { $0.ended.append((run, status)) }
    }

    /// Makes each run-end notice wait for `hook` first.
    func delayRunEnds(_ hook: @escaping @Sendable () async -> Void) {
        endHook.withLock { $0 = hook }
    }

    func isOffered(_ capability: String) async -> Bool? { true }

    /// Returns once `count` attempts have been sent (or records an issue after `Duration.generous`).
    func waitForOrders(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async {
        await BoundedWait.wait(for: "\(count) attempts to be sent (\(orders.count) were)", sourceLocation: sourceLocation) { wait in
            state.withLock { state in
                if state.orders.count >= count { return true }
                state.waiting.append((count, wait))
                return false
            }
        }
    }
}

extension StepResult {
    static func ok(_ output: JSONValue = .object([:])) -> StepResult { .succeeded(output: output, agent: "scripted") }
    static func error(_ code: ErrorCode, _ message: String = "scripted failure") -> StepResult {
        .failed(StepError(code: code, message: message), agent: "scripted")
    }
}

/// Waits on `clock` until the task is cancelled (an attempt that never answers).
func hang(on clock: ManualClock) async -> StepResult {
    do {
        try await clock.sleep(until: .distantFuture)
    } catch {}
    return .error("cancelled", "abandoned")
}
