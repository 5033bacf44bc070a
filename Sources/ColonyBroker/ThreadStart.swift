import Foundation
import Synchronization
import ColonyCore
import ZeroMQ

/// Runs `body` on a new thread and waits until it reports whether it started.
///
/// `body` builds its socket-owning objects on that thread (sockets never cross threads),
/// calls `ready` with a Sendable summary (or the bind error), then keeps running.
func startOnThread<Summary: Sendable>(
    named name: String,
    _ body: @escaping @Sendable (_ ready: @Sendable (Result<Summary, ZMQError>) -> Void) -> Void
) throws(ZMQError) -> Summary {
    let outcome = StartOutcome<Summary>()
    let started = DispatchSemaphore(value: 0)
    let thread = Thread {
        nameCurrentThread(name)
        body { result in
            outcome.result.withLock { $0 = result }
            started.signal()
        }
    }
    thread.name = name
    thread.start()
    started.wait()
    return try outcome.result.withLock { $0! }.get()
}

/// The result a starting thread reports, handed across threads under a lock.
private final class StartOutcome<Summary: Sendable>: Sendable {
    let result = Mutex<Result<Summary, ZMQError>?>(nil)
}
