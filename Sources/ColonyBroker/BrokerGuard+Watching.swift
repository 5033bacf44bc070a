import ColonyCore
import ColonyYAML
import Foundation
import Logging
import Synchronization
import ZeroMQ

extension BrokerGuard {
    /// Counts the lists put in force since the guard was made: the routing thread compares it at
    /// each tick and, when it moved, forgets its verdicts and disconnects revoked keys' agents.
    var listGeneration: UInt64 { generation.load(ordering: .acquiring) }

    /// Re-reads the access list if its file reads differently, and counts a new list in force in
    /// `listGeneration`. A file that does not read is logged and the current list kept. It reads a
    /// file, which may be slow, so only the watcher thread (`startWatching`) calls it, never the
    /// routing thread.
    func reloadIfChanged() {
        let previous = state.withLock { $0.stamp }
        let stamp = keys.accessListStamp(after: previous)
        guard stamp.contentHash != previous.contentHash else {
            state.withLock { $0.stamp = stamp }
            return
        }
        do {
            let fresh = Self.merged(try keys.accessList(), session)
            state.withLock { $0 = Snapshot(fresh, stamp: stamp) }
            generation.add(1, ordering: .releasing)
            logger.notice("access list reloaded", metadata: ["keys": "\(fresh.entries.count)"])
        } catch {
            state.withLock { $0.stamp = stamp }
            logger.error("the access list does not read; keeping the previous one", metadata: ["error": "\(error)"])
        }
    }

    /// Starts a thread of the guard's own that re-reads the access list within `interval` of its
    /// file changing, until `stopWatching()`. Calling it again while it watches does nothing.
    func startWatching(every interval: Duration) {
        let watch = AccessListWatch(interval: interval)
        guard watching.withLock({ current in
            guard current == nil else { return false }
            current = watch
            return true
        }) else { return }
        let thread = Thread { [self] in
            nameCurrentThread("colony-access")
            watch.run { reloadIfChanged() }
        }
        thread.name = "colony-access"
        thread.start()
    }

    /// Stops the watcher thread (it ends within moments; a reading under way finishes first).
    func stopWatching() {
        watching.withLock { current in
            current?.stop()
            current = nil
        }
    }
}

/// One watcher thread's pace and its stop signal.
final class AccessListWatch: Sendable {
    let interval: Duration
    private let stopped = DispatchSemaphore(value: 0)

    init(interval: Duration) {
        self.interval = interval
    }

    /// Calls `check` every `interval` until `stop()`.
    func run(_ check: () -> Void) {
        let nanoseconds = Int(clamping: interval.nanosecondsClamped)
        while stopped.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            check()
        }
    }

    func stop() { stopped.signal() }
}
