import Foundation

/// Runs `body` on a new thread and returns its result, leaving Swift's concurrency pool free
/// for other tests while it works.
func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
